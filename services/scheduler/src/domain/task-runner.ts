import { AlreadyExists, NotFound } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { NewTask, TaskStore } from '../db/task-store.ts';
import type { TaskDriverDeps } from './task-driver.ts';
import { TaskDriver } from './task-driver.ts';
import type { Task } from './task.ts';
import type { TaskTransitions } from './task-transitions.ts';

export interface TaskRunnerDeps extends TaskDriverDeps {
  store: TaskStore;
  transitions: TaskTransitions;
  log: Logger;
  /** Tasks of one user holding a VM at once (allocating, executing, not yet freed). */
  maxVmsPerUser: number;
  /** How long StopTask waits for the worker stop and the Free before answering. Default 10 s. */
  stopWaitMs?: number;
}

interface RunningDriver {
  driver: TaskDriver;
  done: Promise<void>;
}

/**
 * Schedules tasks: persists them QUEUED, admits them within the per-user VM limit and runs one
 * TaskDriver per admitted task. Admission is event-driven: on Schedule and whenever a task lets
 * go of its VM (no polling). `start()` resumes what a previous process left unfinished.
 */
export class TaskRunner {
  readonly #deps: TaskRunnerDeps;
  readonly #log: Logger;
  readonly #drivers = new Map<string, RunningDriver>();
  readonly #shutdown = new AbortController();

  constructor(deps: TaskRunnerDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'task-runner' });
  }

  /** Resumes tasks holding a VM (re-watching allocations and executions), then admits queued ones. */
  async start(): Promise<void> {
    const holding = await this.#deps.store.listHoldingVm();
    for (const task of holding) this.#drive(task);
    const users = await this.#deps.store.usersWithQueuedTasks();
    for (const userId of users) await this.#admit(userId);
    this.#log.info({ resumed: holding.length, usersWithQueued: users.length }, 'tasks resumed');
  }

  /**
   * Persists the task (QUEUED) and returns at once; the chain runs in the background.
   * Idempotent on the task id: the same request returns the task's current status.
   * @throws AlreadyExists if the id is known with a different request.
   */
  async schedule(task: NewTask): Promise<Task> {
    const { task: stored, created } = await this.#deps.transitions.create(task);
    if (!created) {
      if (stored.requestHash !== task.requestHash) {
        throw new AlreadyExists(
          `task ${task.taskId} was already scheduled with a different request; use a new task id`,
        );
      }
      return stored;
    }
    this.#log.info({ taskId: task.taskId, executionId: task.executionId }, 'task queued');
    const admitted = await this.#admit(task.userId);
    return admitted.find((t) => t.taskId === task.taskId) ?? stored;
  }

  /** @throws NotFound unless the task exists in that execution. */
  async get(executionId: string, taskId: string): Promise<Task> {
    const task = await this.#deps.store.get(taskId);
    if (task?.executionId !== executionId) {
      throw new NotFound(`task ${taskId} of execution ${executionId} not found`);
    }
    return task;
  }

  list(executionId: string): Promise<Task[]> {
    return this.#deps.store.listByExecution(executionId);
  }

  /**
   * Stops the task (STOPPED with `reason`); a running execution is stopped on its worker and the
   * VM freed, waited for up to stopWaitMs; a pending allocation is freed once it completes. Idempotent: a task that already ended keeps its state.
   * @throws NotFound
   */
  async stop(executionId: string, taskId: string, reason: string): Promise<Task> {
    await this.get(executionId, taskId);
    const description = reason === '' ? 'stopped' : reason;
    const stopped = await this.#deps.transitions.move(
      taskId,
      ['QUEUED', 'ALLOCATING', 'EXECUTING'],
      'STOPPED',
      { description },
    );
    if (stopped !== undefined) {
      this.#log.info({ taskId, reason }, 'task stopped');
      const running = this.#drivers.get(taskId);
      running?.driver.requestStop();
      // With a VM, wait for the worker stop and the Free. A pending allocation cannot be freed
      // before it completes: its driver frees the VM then, without holding up the caller.
      if (running !== undefined && stopped.vmAddress !== undefined) {
        await this.#waitFor(running.done, this.#deps.stopWaitMs ?? 10_000);
      }
    }
    return this.get(executionId, taskId);
  }

  /** Aborts every driver (tasks stay as they are, to resume on the next start) and waits. */
  async shutdown(): Promise<void> {
    this.#shutdown.abort(new Error('scheduler stopping'));
    await Promise.allSettled([...this.#drivers.values()].map((d) => d.done));
  }

  async #admit(userId: string): Promise<Task[]> {
    const admitted = await this.#deps.transitions.admit(userId, this.#deps.maxVmsPerUser);
    for (const task of admitted) this.#drive(task);
    return admitted;
  }

  #drive(task: Task): void {
    if (this.#drivers.has(task.taskId) || this.#shutdown.signal.aborted) return;
    const driver = new TaskDriver(this.#deps, task.taskId, this.#shutdown.signal);
    const done = driver
      .run()
      .catch((err: unknown) => this.#log.error({ err, taskId: task.taskId }, 'task driver crashed'))
      .finally(() => {
        this.#drivers.delete(task.taskId);
        if (!this.#shutdown.signal.aborted) this.#afterRelease(task.userId);
      });
    this.#drivers.set(task.taskId, { driver, done });
  }

  /** A task let go of its VM: the user's next queued task may start. */
  #afterRelease(userId: string): void {
    this.#admit(userId).catch((err: unknown) => {
      this.#log.error({ err, userId }, 'cannot admit queued tasks; they start on the next change');
    });
  }

  async #waitFor(done: Promise<void>, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
