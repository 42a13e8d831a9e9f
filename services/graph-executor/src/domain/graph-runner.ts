import { createHash } from 'node:crypto';
import { NotFound } from '@lzy/errors';
import { WorkSpan, untraced } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { graphExecutor } from '@lzy/proto';
import { isTerminalGraphState, isTerminalTaskState, taskFailureDescription } from '@lzy/tasks';
import type { TaskStatus } from '@lzy/tasks';
import { planGraph } from './graph-plan.ts';
import type { GraphTaskInput } from './graph-plan.ts';
import type { GraphRecord, GraphStorePort } from './graph-store-port.ts';
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
  log: Logger;
  /** Delay before re-sending Submit after it failed, doubled up to 10 s. Default 500. */
  retryDelayMs?: number;
}

/** A graph with its tasks' latest statuses (what GetGraph and WatchGraph show). */
export interface GraphView {
  record: GraphRecord;
  /** Latest status per task id (tasks the scheduler has not reported yet are absent). */
  statuses: ReadonlyMap<string, TaskStatus>;
}

/** What a WatchGraph stream gets after its first (full) view: the state and changed tasks. */
export interface GraphDelta {
  record: GraphRecord;
  changed: TaskStatus[];
}

interface ActiveGraph {
  record: GraphRecord;
  statuses: Map<string, TaskStatus>;
  succeeded: number;
  watchers: Set<(delta: GraphDelta) => void>;
  retryDelayMs: number;
  /** Settles when its Submit went through (or the graph ended). */
  submitted: Promise<void>;
  /** Its end is being stored: no second end. */
  finishing: boolean;
  /** graph-executor.graph: submitting → executing, ended with the graph. */
  span: WorkSpan;
}

const keyOf = (executionId: string, id: string) => `${executionId}\u0000${id}`;

/**
 * Runs graphs (reference §5.4 without its polling, warm dispatch): the whole graph goes to the
 * scheduler at once with each task's producers as its dependencies; task statuses arrive in
 * batches on one WatchTasks stream per execution; the first failure fails the graph and stops
 * its other tasks; when every task succeeded the graph completes. Only graph transitions are
 * stored here (task statuses are the scheduler's rows); `resume()` after a restart submits the
 * unfinished graphs again (idempotent) and re-reads their tasks from version 0.
 */
export class GraphRunner {
  readonly #store: GraphStorePort;
  readonly #scheduler: SchedulerPort;
  readonly #log: Logger;
  readonly #retryDelayMs: number;
  readonly #active = new Map<string, ActiveGraph>();
  readonly #watches = new Map<string, TaskWatch>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(deps: GraphRunnerDeps) {
    this.#store = deps.store;
    this.#scheduler = deps.scheduler;
    this.#log = deps.log.child({ component: 'graph-runner' });
    this.#retryDelayMs = deps.retryDelayMs ?? 500;
  }

  /**
   * Stores the graph WAITING and starts it in the background. Idempotent on (execution, graph id).
   * @throws InvalidArgument (see planGraph), AlreadyExists (id taken by other tasks).
   */
  async execute(input: ExecuteGraphInput): Promise<GraphView> {
    const tasks = planGraph(input.tasks);
    const hash = createHash('sha256');
    for (const task of input.tasks)
      hash.update(
        graphExecutor.Task.encode({
          id: task.id,
          taskDesc: task.taskDesc,
          needs: task.needs,
          maxAttempts: task.maxAttempts ?? 0,
          retryOnFailure: task.retryOnFailure ?? false,
        }).finish(),
      );
    await this.#store.insert({ ...input, tasks, requestHash: hash.digest('hex') });
    const view = await this.get(input.executionId, input.graphId);
    if (!isTerminalGraphState(view.record.state)) this.#activate(view.record);
    return this.#viewOf(keyOf(input.executionId, input.graphId)) ?? view;
  }

  /** @throws NotFound */
  async get(executionId: string, graphId: string): Promise<GraphView> {
    const active = this.#viewOf(keyOf(executionId, graphId));
    if (active !== undefined) return active;
    const record = await this.#store.get(executionId, graphId);
    if (record === undefined)
      throw new NotFound(`graph ${graphId} of execution ${executionId} does not exist`);
    return { record, statuses: await this.#statusesOf([record]) };
  }

  async list(executionId: string): Promise<GraphView[]> {
    const records = await this.#store.list(executionId);
    const statuses = await this.#statusesOf(records);
    return records.map(
      (record) => this.#viewOf(keyOf(executionId, record.graphId)) ?? { record, statuses },
    );
  }

  /** Fails the graph with `reason` and stops its unfinished tasks. Idempotent. @throws NotFound */
  async stop(executionId: string, graphId: string, reason: string): Promise<GraphView> {
    const graph = this.#active.get(keyOf(executionId, graphId));
    if (graph !== undefined)
      await this.#finish(graph, 'FAILED', reason === '' ? 'The graph was stopped' : reason);
    return this.get(executionId, graphId);
  }

  /**
   * Calls `send` with the full view, then with each delta until the graph ends (sent last),
   * `signal` aborts or the runner closes. @throws NotFound
   */
  async watch(
    executionId: string,
    graphId: string,
    signal: AbortSignal,
    send: (view: GraphView | GraphDelta) => Promise<void>,
  ): Promise<void> {
    const graph = this.#active.get(keyOf(executionId, graphId));
    if (graph === undefined) {
      await send(await this.get(executionId, graphId));
      return;
    }
    const queue: GraphDelta[] = [];
    let wake: (() => void) | undefined;
    const watcher = (delta: GraphDelta) => {
      queue.push(delta);
      wake?.();
    };
    graph.watchers.add(watcher);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      await send({ record: { ...graph.record }, statuses: new Map(graph.statuses) });
      let state = graph.record.state;
      while (!isTerminalGraphState(state) && !signal.aborted && !this.#closed) {
        const delta = queue.shift();
        if (delta === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        state = delta.record.state;
        await send(delta);
      }
    } finally {
      graph.watchers.delete(watcher);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Re-attaches every unfinished graph (service start). */
  async resume(): Promise<void> {
    const active = await this.#store.listActive();
    for (const record of active) this.#activate(record);
    if (active.length > 0) this.#log.info({ graphs: active.length }, 'graphs resumed');
  }

  /** Ends watches and retries. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const graph of this.#active.values())
      for (const watcher of graph.watchers) watcher({ record: graph.record, changed: [] });
    await Promise.all([...this.#watches.values()].map((w) => w.stop()));
    this.#watches.clear();
  }

  #viewOf(key: string): GraphView | undefined {
    const graph = this.#active.get(key);
    return graph === undefined ? undefined : { record: graph.record, statuses: graph.statuses };
  }

  async #statusesOf(records: readonly GraphRecord[]): Promise<Map<string, TaskStatus>> {
    const first = records[0];
    if (first === undefined || records.every((r) => !r.submitted)) return new Map();
    const all = await this.#scheduler.listTasks(first.executionId).catch((err: unknown) => {
      this.#log.warn({ err }, 'cannot read task statuses from the scheduler');
      return [];
    });
    return new Map(all.map((s) => [s.taskId, s]));
  }

  #activate(record: GraphRecord): void {
    const key = keyOf(record.executionId, record.graphId);
    if (this.#closed || this.#active.has(key)) return;
    const graph: ActiveGraph = {
      record,
      statuses: new Map(),
      succeeded: 0,
      watchers: new Set(),
      retryDelayMs: this.#retryDelayMs,
      submitted: Promise.resolve(),
      finishing: false,
      // Child of ExecuteGraph (none after a restart): the tasks' spans nest under it.
      span: new WorkSpan('graph-executor.graph', {
        service: 'graph-executor',
        attributes: {
          'lzy.graph_id': record.graphId,
          'lzy.execution_id': record.executionId,
          'lzy.tasks': record.tasks.length,
        },
      }),
    };
    graph.span.enter('graph-executor.submitting');
    this.#active.set(key, graph);
    // One stream per execution serves every graph of it: in no graph's trace.
    untraced(() => this.#watchExecution(record.executionId));
    graph.submitted = graph.span.run(() => this.#submit(graph));
  }

  /** Submit (idempotent), re-sent with backoff until it goes through or the graph ends. */
  async #submit(graph: ActiveGraph): Promise<void> {
    const { record } = graph;
    for (;;) {
      if (this.#closed || isTerminalGraphState(record.state)) return;
      try {
        await this.#scheduler.submit(record);
        graph.span.enter('graph-executor.executing');
        if (!record.submitted) {
          await this.#store.markSubmitted(record.executionId, record.graphId);
          record.submitted = true;
          if (record.state === 'WAITING') record.state = 'EXECUTING';
          this.#notify(graph, []);
        }
        graph.retryDelayMs = this.#retryDelayMs;
        return;
      } catch (err) {
        this.#log.warn({ err, graphId: record.graphId }, 'Submit failed; will retry');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            resolve();
          }, graph.retryDelayMs);
          this.#timers.add(timer);
        });
        graph.retryDelayMs = Math.min(10_000, graph.retryDelayMs * 2);
      }
    }
  }

  #watchExecution(executionId: string): void {
    if (this.#watches.has(executionId)) return;
    const watch = new TaskWatch({
      scheduler: this.#scheduler,
      executionId,
      log: this.#log.child({ executionId }),
      onStatuses: (statuses) => this.#apply(executionId, statuses),
      onReconnect: () => undefined, // the re-opened stream continues after the last version
    });
    this.#watches.set(executionId, watch);
    watch.start();
  }

  /** One batch of task statuses: grouped per graph, applied, one delta per graph. */
  #apply(executionId: string, statuses: readonly TaskStatus[]): void {
    const byGraph = new Map<ActiveGraph, TaskStatus[]>();
    for (const status of statuses) {
      const graph = this.#active.get(keyOf(executionId, status.graphId));
      if (graph === undefined) continue;
      const previous = graph.statuses.get(status.taskId);
      if (previous !== undefined && previous.version >= status.version) continue;
      graph.statuses.set(status.taskId, status);
      if (status.state === 'SUCCEEDED' && previous?.state !== 'SUCCEEDED') graph.succeeded += 1;
      const list = byGraph.get(graph);
      if (list === undefined) byGraph.set(graph, [status]);
      else list.push(status);
    }
    for (const [graph, changed] of byGraph) {
      this.#notify(graph, changed);
      if (graph.finishing) continue;
      const failed = changed.find((s) => s.state === 'FAILED' || s.state === 'STOPPED');
      if (failed !== undefined) void this.#finish(graph, 'FAILED', taskFailureDescription(failed));
      else if (graph.succeeded === graph.record.tasks.length)
        void this.#finish(graph, 'COMPLETED', '');
    }
  }

  /** Ends the graph (first writer wins), stops its other tasks when it failed, detaches it. */
  async #finish(graph: ActiveGraph, state: 'COMPLETED' | 'FAILED', description: string) {
    const { record } = graph;
    const key = keyOf(record.executionId, record.graphId);
    if (this.#active.get(key) !== graph || graph.finishing) return;
    graph.finishing = true;
    const won = await this.#store
      .finish(record.executionId, record.graphId, state, description)
      .catch((err: unknown) => {
        this.#log.error({ err, graphId: record.graphId }, 'cannot store the end of the graph');
        return true;
      });
    if (won) {
      record.state = state;
      record.description = description;
    } else {
      const stored = await this.#store.get(record.executionId, record.graphId);
      if (stored !== undefined)
        Object.assign(record, { state: stored.state, description: stored.description });
    }
    graph.span.end({
      attributes: { 'lzy.graph_state': record.state },
      ...(record.state === 'FAILED' ? { error: record.description } : {}),
    });
    this.#notify(graph, []);
    this.#detachExecution(record.executionId);
    if (!won || state !== 'FAILED') return;
    this.#log.info({ graphId: record.graphId, description }, 'graph failed');
    const unfinished = record.tasks
      .map((t) => t.id)
      .filter((id) => {
        const status = graph.statuses.get(id);
        return status === undefined || !isTerminalTaskState(status.state);
      });
    if (unfinished.length === 0) return;
    await graph.submitted;
    await this.#scheduler
      .stopTasks(record.executionId, unfinished, description)
      .catch((err: unknown) =>
        this.#log.warn({ err, graphId: record.graphId }, 'StopTasks failed'),
      );
  }

  #notify(graph: ActiveGraph, changed: TaskStatus[]): void {
    const delta = { record: { ...graph.record }, changed };
    for (const watcher of graph.watchers) watcher(delta);
  }

  #detachExecution(executionId: string): void {
    for (const graph of this.#active.values()) if (graph.record.executionId === executionId) return;
    const watch = this.#watches.get(executionId);
    this.#watches.delete(executionId);
    void watch?.stop();
  }
}
