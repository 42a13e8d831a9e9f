import { AlreadyExists, InvalidArgument, NotFound } from '@lzy/errors';
import type { Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { isTerminalTaskState } from '@lzy/tasks';
import type { HeldVmStore } from '../db/held-vm-store.ts';
import type { NewTask, TaskStore } from '../db/task-store.ts';
import type { Dispatcher } from './dispatcher.ts';
import { needsOn } from './dispatcher.ts';
import type { HeldVm } from './live-task.ts';
import { liveTask, poolKeyOf } from './live-task.ts';
import type { AllocatorPort, PoolShape } from './ports.ts';
import type { Task } from './task.ts';
import { sessionOwner } from './task.ts';
import type { TaskEvents } from './task-events.ts';
import type { TaskWriter } from './task-writer.ts';
import { fits, NOTHING, wholeVm } from './vm-capacity.ts';
import type { VmKeeper } from './vm-keeper.ts';

export interface SchedulerCoreDeps {
  store: TaskStore;
  heldVms: HeldVmStore;
  events: TaskEvents;
  writer: TaskWriter;
  dispatcher: Dispatcher;
  keeper: VmKeeper;
  allocator: AllocatorPort;
  clock: Clock;
  log: Logger;
}

/** A task of a Submit, validated (NewTask minus what the scheduler decides). */
export type SubmittedTask = Omit<NewTask, 'state' | 'queuedAt'>;

/**
 * The scheduler's API in domain terms: Submit (store, then place), Stop, reads, and the resume
 * of everything a previous process left (its VMs and unfinished tasks).
 */
export class SchedulerCore {
  readonly #deps: SchedulerCoreDeps;
  readonly #log: Logger;
  #shutdown = new AbortController();

  constructor(deps: SchedulerCoreDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'scheduler' });
  }

  /** Pools, then the VMs and tasks a previous process left. */
  async start(): Promise<void> {
    const { dispatcher, keeper, heldVms, store } = this.#deps;
    dispatcher.setPools(await this.#deps.allocator.listPools(this.#shutdown.signal));
    const vms = new Map<string, HeldVm>();
    for (const record of await heldVms.list()) {
      const pool = dispatcher.pool(record.poolLabel);
      if (pool === undefined) continue;
      vms.set(record.vmId, keeper.resume(record, pool, poolKeyOf(record.poolLabel, record.zone)));
    }
    const unfinished = await store.listUnfinished();
    const states = await store.statesOf([...new Set(unfinished.flatMap((t) => t.dependsOn))]);
    for (const task of unfinished) {
      const pool = dispatcher.pool(task.poolLabel);
      if (pool === undefined) continue;
      const pending = task.dependsOn.filter((d) => states.get(d) !== 'SUCCEEDED');
      const live = liveTask(task, {
        owner: sessionOwner(task.userId, task.workflowName),
        needs: needsOn(task, pool),
        pending,
      });
      const vm = task.state === 'EXECUTING' ? vms.get(task.vmId) : undefined;
      if (vm !== undefined) dispatcher.resumeOnVm(live, vm);
      else if (task.state === 'EXECUTING') {
        // Its VM is not held any more: run it again (the dispatcher counts the attempt).
        live.progress = { ...live.progress, state: 'QUEUED', vmId: '' };
        dispatcher.add(live);
      } else dispatcher.add(live);
    }
    for (const vm of vms.values()) keeper.reopen(vm);
    dispatcher.pumpAll();
    this.#log.info({ vms: vms.size, tasks: unfinished.length }, 'scheduler resumed');
  }

  /**
   * Stores the tasks and places the ready ones. Idempotent per task id.
   * @throws InvalidArgument (unknown pool or dependency, needs larger than the pool's VMs),
   *   AlreadyExists (a known id with another task)
   */
  async submit(tasks: readonly SubmittedTask[]): Promise<void> {
    const { dispatcher, store, events } = this.#deps;
    const ids = new Set(tasks.map((t) => t.taskId));
    const outside = [...new Set(tasks.flatMap((t) => t.dependsOn))].filter((d) => !ids.has(d));
    const known = await store.statesOf(outside);
    const missing = outside.filter((d) => !known.has(d));
    if (missing.length > 0)
      throw new InvalidArgument(`depends_on names tasks never submitted: ${missing.join(', ')}`);
    const pools = new Map(tasks.map((t) => [t.taskId, this.#poolOf(t)]));
    const now = new Date(this.#deps.clock.now());
    // Ready now only without dependencies; a task whose dependencies already ended is queued
    // by the dispatcher below.
    const { created, existing } = await store.insertMany(
      tasks.map((t) => {
        const state = t.dependsOn.length === 0 ? ('QUEUED' as const) : ('WAITING' as const);
        return { ...t, state, queuedAt: state === 'QUEUED' ? now : undefined };
      }),
    );
    const submitted = new Map(tasks.map((t) => [t.taskId, t]));
    for (const stored of existing) {
      if (stored.requestHash !== submitted.get(stored.taskId)?.requestHash)
        throw new AlreadyExists(
          `task ${stored.taskId} was already submitted with a different request; use a new task id`,
        );
    }
    events.publish(created);
    const createdIds = new Set(created.map((t) => t.taskId));
    const states = await store.statesOf(
      [...new Set(created.flatMap((t) => t.dependsOn))].filter(
        (d) => !createdIds.has(d) && !dispatcher.has(d),
      ),
    );
    for (const task of created) {
      const pending = task.dependsOn.filter(
        (d) =>
          createdIds.has(d) ||
          dispatcher.isPending(d) ||
          (!dispatcher.has(d) && states.get(d) !== 'SUCCEEDED'),
      );
      const live = liveTask(task, {
        owner: sessionOwner(task.userId, task.workflowName),
        needs: needsOn(task, pools.get(task.taskId)!),
        pending,
      });
      if (pending.length === 0 && live.progress.state === 'WAITING')
        live.progress = { ...live.progress, state: 'QUEUED', queuedAt: now };
      dispatcher.add(live);
      if (live.progress.state !== task.state) this.#deps.writer.write(task.taskId, live.progress);
    }
    dispatcher.pumpAll();
  }

  #poolOf(task: SubmittedTask): PoolShape {
    const pool = this.#deps.dispatcher.pool(task.poolLabel);
    if (pool === undefined)
      throw new InvalidArgument(
        `task ${task.taskId}: unknown pool '${task.poolLabel}'; ask the allocator for its pools`,
      );
    if (task.needs !== undefined && !fits(NOTHING, task.needs, wholeVm(pool)))
      throw new InvalidArgument(
        `task ${task.taskId} needs ${JSON.stringify(task.needs)}, more than a VM of pool ` +
          `'${pool.label}' has (${pool.cpu} CPU, ${pool.gpu} GPU, ${pool.ramGb} GB RAM)`,
      );
    return pool;
  }

  /** @throws NotFound unless the task exists in that execution. */
  async get(executionId: string, taskId: string): Promise<Task> {
    const task = await this.#deps.store.get(taskId);
    if (task?.executionId !== executionId)
      throw new NotFound(`task ${taskId} of execution ${executionId} not found`);
    return task;
  }

  list(executionId: string): Promise<Task[]> {
    return this.#deps.store.listByExecution(executionId);
  }

  /** Stops the listed tasks (every unfinished one of the execution when empty). Idempotent. */
  async stop(executionId: string, taskIds: readonly string[], reason: string): Promise<void> {
    const { dispatcher } = this.#deps;
    const ids = taskIds.length === 0 ? dispatcher.unfinishedOf(executionId) : taskIds;
    dispatcher.stop(ids, reason === '' ? 'stopped' : reason);
    await this.#deps.writer.flushed();
  }

  /** Closes links and watches (VMs stay held for the next start), then stores what is pending. */
  async shutdown(): Promise<void> {
    this.#shutdown.abort();
    this.#deps.keeper.close();
    await this.#deps.writer.close();
  }

  /** Whether the task may still change (for WatchTasks callers that follow one task). */
  static isUnfinished(task: Task): boolean {
    return !isTerminalTaskState(task.state);
  }
}
