import { createHash } from 'node:crypto';
import { NotFound } from '@lzy/errors';
import type { ChangeEvents } from '@lzy/events';
import type { Logger } from '@lzy/logging';
import { graphExecutor, scheduler } from '@lzy/proto';
import { planGraph } from './graph-plan.ts';
import type { GraphTaskInput } from './graph-plan.ts';
import type { GraphRecord, GraphStorePort, TaskRecord } from './graph-store-port.ts';
import { failureDescription, isTerminal, readyTasks, stateName } from './graph-rules.ts';
import type { SchedulerPort } from './scheduler-port.ts';
import { TaskWatch } from './task-watch.ts';

export interface ExecuteGraphInput {
  executionId: string;
  graphId: string;
  workflowName: string;
  userId: string;
  parentGraphId: string;
  portalAddress: string;
  tasks: GraphTaskInput[];
}

export interface GraphRunnerDeps {
  store: GraphStorePort;
  scheduler: SchedulerPort;
  events: ChangeEvents;
  log: Logger;
  /** Delay before re-sending Schedule after it failed, doubled up to 10 s. Default 500. */
  retryDelayMs?: number;
}

interface ActiveGraph {
  record: GraphRecord;
  /** Tasks whose Schedule call succeeded in this process. */
  confirmed: Set<string>;
  retryDelayMs: number;
}

const keyOf = (executionId: string, id: string) => `${executionId}\u0000${id}`;

/** Schedule calls of one graph in flight at once (a 1000-task fan-out: 32 at a time). */
const SCHEDULE_CONCURRENCY = 32;

/** `fn` over `items` with at most `limit` calls pending; results in the order of `items`. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Runs graphs (reference §5.4 without its polling): each task is released to the scheduler as
 * soon as all its producers succeeded, statuses arrive by push on one WatchTasks stream per
 * execution, the first failure fails the graph and stops its other tasks. Everything the graph
 * knows is stored first, so `resume()` after a restart continues where it stopped (Schedule is
 * idempotent in the scheduler). Work on one graph is serialized.
 */
export class GraphRunner {
  readonly #store: GraphStorePort;
  readonly #scheduler: SchedulerPort;
  readonly #events: ChangeEvents;
  readonly #log: Logger;
  readonly #retryDelayMs: number;
  readonly #active = new Map<string, ActiveGraph>();
  /** (execution, task id) → graph key, for routing WatchTasks messages. */
  readonly #taskIndex = new Map<string, string>();
  readonly #watches = new Map<string, TaskWatch>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(deps: GraphRunnerDeps) {
    this.#store = deps.store;
    this.#scheduler = deps.scheduler;
    this.#events = deps.events;
    this.#log = deps.log.child({ component: 'graph-runner' });
    this.#retryDelayMs = deps.retryDelayMs ?? 500;
  }

  /**
   * Stores the graph WAITING and starts it in the background. Idempotent on (execution, graph id).
   * @throws InvalidArgument (see planGraph), AlreadyExists (id taken by other tasks).
   */
  async execute(input: ExecuteGraphInput): Promise<GraphRecord> {
    const tasks = planGraph(input.tasks);
    const hash = createHash('sha256');
    for (const task of input.tasks) hash.update(graphExecutor.Task.encode(task).finish());
    await this.#store.insert({ ...input, tasks, requestHash: hash.digest('hex') });
    const record = await this.get(input.executionId, input.graphId);
    if (!isTerminal(record.state)) this.#activate(record);
    return record;
  }

  /** @throws NotFound */
  async get(executionId: string, graphId: string): Promise<GraphRecord> {
    const record = await this.#store.get(executionId, graphId);
    if (record === undefined)
      throw new NotFound(`graph ${graphId} of execution ${executionId} does not exist`);
    return record;
  }

  list(executionId: string): Promise<GraphRecord[]> {
    return this.#store.list(executionId);
  }

  /** Fails the graph with `reason` and stops its unfinished tasks. Idempotent. @throws NotFound */
  async stop(executionId: string, graphId: string, reason: string): Promise<GraphRecord> {
    const key = keyOf(executionId, graphId);
    await this.#serial(key, async () => {
      const record = this.#active.get(key)?.record ?? (await this.get(executionId, graphId));
      if (isTerminal(record.state)) return;
      await this.#finish(record, 'FAILED', reason === '' ? 'The graph was stopped' : reason);
    });
    return this.get(executionId, graphId);
  }

  /**
   * Calls `send` with the current record, then after each change, until the graph ends (sent
   * last), `signal` aborts or the runner closes. @throws NotFound
   */
  async watch(
    executionId: string,
    graphId: string,
    signal: AbortSignal,
    send: (record: GraphRecord) => Promise<void>,
  ): Promise<void> {
    const subscription = this.#events.subscribe(keyOf(executionId, graphId));
    try {
      let last = '';
      do {
        const record = await this.get(executionId, graphId);
        const fingerprint = JSON.stringify(record);
        if (fingerprint !== last) await send(record);
        last = fingerprint;
        if (isTerminal(record.state)) return;
      } while (await subscription.next(signal));
    } finally {
      subscription.close();
    }
  }

  /** Re-attaches every unfinished graph (service start). */
  async resume(): Promise<void> {
    const active = await this.#store.listActive();
    for (const record of active) this.#activate(record);
    if (active.length > 0) this.#log.info({ graphs: active.length }, 'graphs resumed');
  }

  /** Ends watches and retries, then waits for work in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#events.close();
    await Promise.all([...this.#watches.values()].map((w) => w.stop()));
    this.#watches.clear();
    await Promise.allSettled([...this.#queues.values()]);
  }

  #activate(record: GraphRecord): void {
    const key = keyOf(record.executionId, record.graphId);
    if (this.#closed || this.#active.has(key)) return;
    this.#active.set(key, { record, confirmed: new Set(), retryDelayMs: this.#retryDelayMs });
    for (const task of record.tasks) this.#taskIndex.set(keyOf(record.executionId, task.id), key);
    this.#watchExecution(record.executionId);
    void this.#serial(key, () => this.#release(key)).catch(() => undefined);
  }

  #watchExecution(executionId: string): void {
    if (this.#watches.has(executionId)) return;
    const watch = new TaskWatch({
      scheduler: this.#scheduler,
      executionId,
      log: this.#log.child({ executionId }),
      onStatus: (status) => {
        const key = this.#taskIndex.get(keyOf(executionId, status.taskId));
        if (key !== undefined)
          void this.#serial(key, () => this.#apply(key, status)).catch(() => undefined);
      },
      onReconnect: () => {
        for (const [key, graph] of this.#active)
          if (graph.record.executionId === executionId)
            void this.#serial(key, () => this.#release(key)).catch(() => undefined);
      },
    });
    this.#watches.set(executionId, watch);
    watch.start();
  }

  /** Sends Schedule for every task whose producers all succeeded and that is not confirmed yet. */
  async #release(key: string): Promise<void> {
    const graph = this.#active.get(key);
    if (graph === undefined || this.#closed) return;
    const { record } = graph;
    const ready = readyTasks(record.tasks).filter((t) => !graph.confirmed.has(t.id));
    if (ready.length === 0) return;
    const fresh = ready.filter((t) => !t.scheduled);
    if (fresh.length > 0 || record.state === 'WAITING') {
      await this.#store.markScheduled(
        record.executionId,
        record.graphId,
        ready.map((t) => t.id),
      );
      for (const task of ready) task.scheduled = true;
      record.state = 'EXECUTING';
      this.#events.notify(key);
    }
    // A fan-out releases many tasks at once: their Schedule calls go out together (one round
    // trip each, in parallel up to SCHEDULE_CONCURRENCY), and the statuses they answer are
    // applied one by one afterwards (apply may finish the graph or release more tasks).
    let failed = false;
    const statuses = await mapLimit(ready, SCHEDULE_CONCURRENCY, async (task) => {
      try {
        const status = await this.#scheduler.schedule({
          taskId: task.id,
          executionId: record.executionId,
          workflowName: record.workflowName,
          userId: record.userId,
          taskDesc: task.taskDesc,
          portalAddress: record.portalAddress,
        });
        graph.confirmed.add(task.id);
        return status;
      } catch (err) {
        failed = true;
        this.#log.warn({ err, taskId: task.id }, 'Schedule failed; will retry');
        return undefined;
      }
    });
    if (!failed) graph.retryDelayMs = this.#retryDelayMs;
    for (const status of statuses) {
      if (!this.#active.has(key)) return; // the graph ended meanwhile
      if (status !== undefined) await this.#apply(key, status);
    }
    if (failed && this.#active.has(key)) this.#retryLater(key, graph);
  }

  #retryLater(key: string, graph: ActiveGraph): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#serial(key, () => this.#release(key)).catch(() => undefined);
    }, graph.retryDelayMs);
    this.#timers.add(timer);
    graph.retryDelayMs = Math.min(10_000, graph.retryDelayMs * 2);
  }

  async #apply(key: string, status: scheduler.TaskStatus): Promise<void> {
    const graph = this.#active.get(key);
    const task = graph?.record.tasks.find((t) => t.id === status.taskId);
    if (graph === undefined || task === undefined || isTerminal(stateName(task.status?.state)))
      return;
    if (sameStatus(task, status)) return;
    await this.#store.saveTaskStatus(status, stateName(status.state));
    task.status = status;
    this.#events.notify(key);
    const {
      TASK_STATE_SUCCEEDED: SUCCEEDED,
      TASK_STATE_FAILED: FAILED,
      TASK_STATE_STOPPED: STOPPED,
    } = scheduler.TaskState;
    if (status.state === SUCCEEDED) {
      const tasks = graph.record.tasks;
      if (tasks.every((t) => t.status?.state === SUCCEEDED))
        await this.#finish(graph.record, 'COMPLETED', '');
      else await this.#release(key);
    } else if (status.state === FAILED || status.state === STOPPED) {
      await this.#finish(graph.record, 'FAILED', failureDescription(task, status));
    }
  }

  /** Ends the graph (first writer wins), stops its other tasks when it failed, detaches it. */
  async #finish(record: GraphRecord, state: 'COMPLETED' | 'FAILED', description: string) {
    const key = keyOf(record.executionId, record.graphId);
    const won = await this.#store.finish(record.executionId, record.graphId, state, description);
    record.state = state;
    record.description = description;
    this.#deactivate(record);
    this.#events.notify(key);
    if (!won || state !== 'FAILED') return;
    this.#log.info({ graphId: record.graphId, description }, 'graph failed');
    for (const task of record.tasks) {
      if (!task.scheduled || isTerminal(stateName(task.status?.state))) continue;
      await this.#scheduler
        .stopTask(record.executionId, task.id, description)
        .catch((err: unknown) => this.#log.warn({ err, taskId: task.id }, 'StopTask failed'));
    }
  }

  #deactivate(record: GraphRecord): void {
    this.#active.delete(keyOf(record.executionId, record.graphId));
    for (const task of record.tasks) this.#taskIndex.delete(keyOf(record.executionId, task.id));
    const stillWatched = [...this.#active.values()].some(
      (g) => g.record.executionId === record.executionId,
    );
    if (!stillWatched) {
      const watch = this.#watches.get(record.executionId);
      this.#watches.delete(record.executionId);
      void watch?.stop();
    }
  }

  /** Runs `fn` after everything queued for `key`; the queue survives a failing step (logged). */
  #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    const tail = result.catch((err: unknown) => {
      this.#log.error({ err }, 'graph step failed');
    });
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return result;
  }
}

function sameStatus(task: TaskRecord, status: scheduler.TaskStatus): boolean {
  const old = task.status;
  return (
    old !== undefined &&
    old.state === status.state &&
    old.vmId === status.vmId &&
    old.rc === status.rc &&
    old.description === status.description
  );
}
