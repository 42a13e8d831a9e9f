import { NotFound, ResourceExhausted } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { TaskStore } from '../db/task-store.ts';
import type { AllocatorSessions } from './allocator-sessions.ts';
import type { AllocatorPort, WorkerConnection, WorkerPort } from './ports.ts';
import { backoffMs, isTransient, messageOf, sleep } from './retry.ts';
import type { Task } from './task.ts';
import { RC_INTERNAL_ERROR, isTerminal, sessionOwner } from './task.ts';
import type { TaskTransitions } from './task-transitions.ts';

export interface TaskDriverDeps {
  store: TaskStore;
  sessions: AllocatorSessions;
  transitions: TaskTransitions;
  allocator: AllocatorPort;
  workers: WorkerPort;
  log: Logger;
  retryBackoffMs: number;
  /** Failed attempts of the whole chain (peer or database unreachable) before the task fails. */
  maxAttempts?: number;
}

const RUNNING = ['ALLOCATING', 'EXECUTING'] as const;

/**
 * Drives one admitted task through the chain of reference-lzy-internals §4.5, closing its gaps:
 * session (one per user+workflow) → Allocate (Idempotency-Key = task id) → wait by push →
 * worker Init/Execute (Idempotency-Key = task id) → WatchExecution → Free.
 *
 * Every step is idempotent and decides from the persisted task what is left to do, so the same
 * code resumes a task after a restart and retries the chain after a transient failure. The
 * scheduler's shutdown aborts the driver without changing the task (it resumes on the next
 * start); StopTask (`requestStop`) ends the execution, then the VM is stopped and freed.
 */
export class TaskDriver {
  readonly #deps: TaskDriverDeps;
  readonly #taskId: string;
  readonly #shutdown: AbortSignal;
  readonly #stop = new AbortController();
  readonly #log: Logger;

  constructor(deps: TaskDriverDeps, taskId: string, shutdown: AbortSignal) {
    this.#deps = deps;
    this.#taskId = taskId;
    this.#shutdown = shutdown;
    this.#log = deps.log.child({ component: 'task-driver', taskId });
  }

  /** StopTask has written STOPPED: end the execution phase; the VM is then stopped and freed. */
  requestStop(): void {
    this.#stop.abort(new Error('task stopped'));
  }

  /** Runs until the task ended and its VM is released, or the scheduler shuts down. */
  async run(): Promise<void> {
    const maxAttempts = this.#deps.maxAttempts ?? 20;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#drive();
        return;
      } catch (err) {
        if (this.#shutdown.aborted) return;
        if (!isTransient(err) || attempt + 1 >= maxAttempts) {
          await this.#giveUp(err);
          return;
        }
        this.#log.warn({ err, attempt }, 'task chain interrupted; retrying');
        try {
          await sleep(backoffMs(this.#deps.retryBackoffMs, attempt), this.#shutdown);
        } catch {
          return;
        }
      }
    }
  }

  async #drive(): Promise<void> {
    let task = await this.#load();
    if (!isTerminal(task.state)) {
      if (task.vmAddress === undefined) task = await this.#allocate(task);
      if (!isTerminal(task.state)) task = await this.#execute(task);
    }
    if (!task.vmReleased) await this.#release(task);
  }

  async #load(): Promise<Task> {
    const task = await this.#deps.store.get(this.#taskId);
    if (task === undefined) throw new NotFound(`task ${this.#taskId} is gone`);
    return task;
  }

  async #fail(description: string): Promise<Task> {
    await this.#deps.transitions.move(this.#taskId, RUNNING, 'FAILED', {
      rc: RC_INTERNAL_ERROR,
      description,
    });
    return this.#load();
  }

  /** → the task with its VM recorded, or terminal (allocation failed). */
  async #allocate(task: Task): Promise<Task> {
    const { allocator, store } = this.#deps;
    let operationId = task.allocateOperationId;
    if (operationId === undefined) {
      const started = await this.#startAllocation(task);
      if (typeof started !== 'string') return started;
      operationId = started;
    }
    const outcome = await allocator.awaitAllocation(operationId, this.#shutdown);
    if (!outcome.ok) {
      await this.#fail(outcome.message);
      await store.markVmReleased(task.taskId);
      return this.#load();
    }
    this.#log.info({ vmId: outcome.vmId, vmAddress: outcome.vmAddress }, 'vm allocated');
    return store.recordVm(task.taskId, outcome.vmId, outcome.vmAddress);
  }

  /**
   * Allocate (Idempotency-Key = task id) → the operation id, or the task if it ended instead:
   * refused (unknown pool or zone: the user must fix it) or stopped while the pool was full. A
   * full pool (RESOURCE_EXHAUSTED) is waited out with backoff: the allocator does not push
   * capacity, and the task stays ALLOCATING meanwhile.
   */
  async #startAllocation(task: Task): Promise<string | Task> {
    const owner = sessionOwner(task.userId, task.workflowName);
    const sessionId = await this.#deps.sessions.sessionOf(owner, this.#shutdown);
    const params = {
      sessionId,
      poolLabel: task.poolLabel,
      zone: task.zone,
      idempotencyKey: task.taskId,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const started = await this.#deps.allocator.allocate(params, this.#shutdown);
        await this.#deps.store.recordAllocation(task.taskId, started);
        this.#log.info({ operationId: started.operationId }, 'allocation started');
        return started.operationId;
      } catch (err) {
        if (err instanceof ResourceExhausted) {
          this.#log.info({ attempt, pool: task.poolLabel }, 'pool full; waiting for capacity');
          const signal = AbortSignal.any([this.#shutdown, this.#stop.signal]);
          await sleep(backoffMs(this.#deps.retryBackoffMs, attempt), signal).catch(() => {});
          if (this.#shutdown.aborted) throw err;
          if (this.#stop.signal.aborted) return this.#load();
          continue;
        }
        if (isTransient(err)) throw err;
        return this.#fail(messageOf(err));
      }
    }
  }

  /** → the task once terminal (finished, failed, stopped, VM lost). */
  async #execute(task: Task): Promise<Task> {
    const address = task.vmAddress;
    if (address === undefined) throw new Error('execute without a VM');
    const conn = this.#deps.workers.connect(address);
    const signal = AbortSignal.any([this.#shutdown, this.#stop.signal]);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const ended = await this.#executeOnce(conn, task, signal);
          if (ended !== undefined) return ended;
        } catch (err) {
          if (this.#shutdown.aborted) throw err;
          if (this.#stop.signal.aborted) return this.#load();
          if (!isTransient(err)) return this.#fail(messageOf(err));
          this.#log.warn({ err, attempt }, 'worker unreachable or stream broken');
        }
        const loss =
          task.vmId === undefined
            ? undefined
            : await this.#deps.allocator.vmLoss(task.vmId, signal);
        if (loss !== undefined)
          return this.#fail(loss === '' ? 'worker VM lost' : `worker VM lost: ${loss}`);
        await sleep(backoffMs(this.#deps.retryBackoffMs, attempt), signal).catch(() => {});
        if (this.#shutdown.aborted) throw this.#shutdown.reason;
        if (this.#stop.signal.aborted) return this.#load();
      }
    } finally {
      conn.close();
    }
  }

  /** Init + Execute (both idempotent) and follow the execution; undefined: the stream broke. */
  async #executeOnce(
    conn: WorkerConnection,
    task: Task,
    signal: AbortSignal,
  ): Promise<Task | undefined> {
    const { transitions } = this.#deps;
    await conn.init(
      { userId: task.userId, workflowName: task.workflowName, executionId: task.executionId },
      signal,
    );
    await conn.execute(
      {
        taskId: task.taskId,
        executionId: task.executionId,
        taskDesc: task.taskDesc,
        portalAddress: task.portalAddress,
      },
      signal,
    );
    for await (const event of conn.watchExecution(task.taskId, signal)) {
      if (event.kind === 'started') {
        await transitions.move(task.taskId, ['ALLOCATING'], 'EXECUTING');
        continue;
      }
      // Free before the task is reported done: graph-executor schedules the next task of the
      // chain on that report, and its Allocate must find this VM idle (warm reuse) instead of
      // racing the Free and starting a new VM. The Free is idempotent (a retry after a crash
      // between the two steps frees again, NotFound included).
      await this.#free(task);
      const state = event.rc === 0 ? 'SUCCEEDED' : 'FAILED';
      const result = { rc: event.rc, description: event.description, vmReleased: true };
      const moved = await transitions.move(task.taskId, RUNNING, state, result);
      this.#log.info({ rc: event.rc }, 'task finished');
      if (moved !== undefined) return moved;
      await this.#deps.store.markVmReleased(task.taskId); // stopped meanwhile; the VM is freed
      return this.#load();
    }
    return undefined;
  }

  /** Stops a stopped task's worker (best effort), frees the VM, marks the task released. */
  async #release(task: Task): Promise<void> {
    if (task.state === 'STOPPED' && task.vmAddress !== undefined) {
      const conn = this.#deps.workers.connect(task.vmAddress);
      try {
        await conn.stop(task.taskId, task.description, this.#shutdown);
      } catch (err) {
        if (this.#shutdown.aborted) throw err;
        this.#log.warn({ err }, 'worker did not take the stop; freeing its VM anyway');
      } finally {
        conn.close();
      }
    }
    await this.#free(task);
    await this.#deps.store.markVmReleased(task.taskId);
  }

  async #free(task: Task): Promise<void> {
    if (task.vmId === undefined) return;
    try {
      await this.#deps.allocator.free(task.vmId, this.#shutdown);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err; // gone already: nothing to free
    }
    this.#log.info({ vmId: task.vmId }, 'vm freed');
  }

  /** The chain cannot go on: fail the task (if still running) and let go of its VM slot. */
  async #giveUp(err: unknown): Promise<void> {
    this.#log.error({ err }, 'task chain failed');
    try {
      const task = await this.#fail(`scheduler could not run the task: ${messageOf(err)}`);
      if (task.vmId !== undefined) {
        await this.#deps.allocator.free(task.vmId, this.#shutdown).catch(() => {});
      }
      await this.#deps.store.markVmReleased(task.taskId);
    } catch (cleanupErr) {
      this.#log.error(
        { err: cleanupErr },
        'cannot record the failure; the task resumes on restart',
      );
    }
  }
}
