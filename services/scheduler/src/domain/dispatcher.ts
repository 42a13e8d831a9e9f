import type { Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { RC_INTERNAL_ERROR, isTerminalTaskState } from '@lzy/tasks';
import type { TaskNeeds } from '@lzy/tasks';
import type { HeldVm, LiveTask } from './live-task.ts';
import type { ExposedOutput, PoolShape, RunRequest, UserNoticePort, WorkerEvent } from './ports.ts';
import type { Task, TaskProgress } from './task.ts';
import type { TaskWriter } from './task-writer.ts';
import { TaskSpans } from './task-spans.ts';
import { addNeeds, fits, subtractNeeds, tasksPerVm } from './vm-capacity.ts';
import type { VmKeeper } from './vm-keeper.ts';

export interface DispatcherDeps {
  writer: TaskWriter;
  clock: Clock;
  log: Logger;
  /** VMs one user holds at once, over all their sessions (allocating ones included). */
  maxVmsPerUser: number;
  /** Where retries are announced to the user (the task's stderr); absent: logs only. */
  notices?: UserNoticePort | undefined;
}

/** How a queued task's description starts while no VM can be had for it (a cap). */
const WAITING_FOR_VM = 'waiting for a VM';

/** One session's queues and VMs (a session: one user and workflow name). */
interface Session {
  readonly owner: string;
  readonly userId: string;
  /** QUEUED tasks per pool key, in arrival order (a retried task goes first). */
  readonly queues: Map<string, LiveTask[]>;
  readonly vms: Set<HeldVm>;
}

/**
 * Warm dispatch (issue 11): places ready tasks on the session's held VMs as soon as their needs
 * fit (several at once per VM, preferring the VM that holds their inputs), sends them over the
 * VM's Dispatch link, and reacts to the workers' events: an exited task frees its share of the
 * VM and releases its dependents at once (they get its outputs as input senders), a done task
 * ends. VMs are asked for only when queued tasks do not fit; a lost VM's tasks run again while
 * attempts are left. Everything happens in memory; progress is stored in batches (TaskWriter).
 * Not thread-safe by design: Node runs it on one event loop.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #log: Logger;
  readonly #tasks = new Map<string, LiveTask>();
  readonly #dependents = new Map<string, Set<string>>();
  /** Senders of produced channels per execution (channel id → slot URI). */
  readonly #senders = new Map<string, Map<string, string>>();
  /** Unfinished tasks per execution (its senders are forgotten at 0). */
  readonly #liveCount = new Map<string, number>();
  readonly #sessions = new Map<string, Session>();
  readonly #pools = new Map<string, PoolShape>();
  readonly #spans = new TaskSpans();
  #keeper: VmKeeper | undefined;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'dispatcher' });
  }

  /** Wires the VM keeper (it reports back through the on* methods below). */
  attach(keeper: VmKeeper): void {
    this.#keeper = keeper;
  }

  setPools(pools: readonly PoolShape[]): void {
    for (const pool of pools) this.#pools.set(pool.label, pool);
  }

  pool(label: string): PoolShape | undefined {
    return this.#pools.get(label);
  }

  has(taskId: string): boolean {
    return this.#tasks.has(taskId);
  }

  /** Adds an unfinished task (Submit, or resume after a restart). */
  add(live: LiveTask): void {
    this.#track(live);
    this.#spans.begin(live);
    for (const dep of live.pending) {
      let set = this.#dependents.get(dep);
      if (set === undefined) this.#dependents.set(dep, (set = new Set()));
      set.add(live.task.taskId);
    }
    if (live.progress.state === 'QUEUED') this.#enqueue(live, false);
  }

  /**
   * Puts a resumed EXECUTING task back on its VM (before the VM's link opens: the worker's first
   * events are about it); the run is sent again when the link opens (onVmReady).
   */
  resumeOnVm(live: LiveTask, vm: HeldVm): void {
    this.#track(live);
    this.#spans.begin(live);
    live.vm = vm;
    vm.running.set(live.task.taskId, live);
    vm.used = addNeeds(vm.used, live.needs);
  }

  #track(live: LiveTask): void {
    if (this.#tasks.has(live.task.taskId)) return;
    this.#tasks.set(live.task.taskId, live);
    const { executionId } = live.task;
    this.#liveCount.set(executionId, (this.#liveCount.get(executionId) ?? 0) + 1);
  }

  /** Whether a task of that id is unfinished here and not yet exited (a dependency pending). */
  isPending(taskId: string): boolean {
    const live = this.#tasks.get(taskId);
    return live !== undefined && !live.exited;
  }

  /** Places what can be placed in every session (after adding tasks or VMs). */
  pumpAll(): void {
    for (const session of this.#sessions.values()) this.#pump(session);
  }

  /** Stops tasks: queued or waiting ones at once, running ones on their worker. */
  stop(taskIds: readonly string[], reason: string): void {
    for (const taskId of taskIds) {
      const live = this.#tasks.get(taskId);
      if (live === undefined || isTerminalTaskState(live.progress.state)) continue;
      if (live.progress.state === 'QUEUED') this.#dequeue(live);
      if (live.progress.state === 'EXECUTING' && live.vm !== undefined)
        this.#keeper?.link(live.vm)?.stop(taskId, reason);
      this.#end(live, { state: 'STOPPED', rc: live.progress.rc, description: reason });
    }
  }

  /** Unfinished task ids of an execution (StopTasks without ids). */
  unfinishedOf(executionId: string): string[] {
    return [...this.#tasks.values()]
      .filter((t) => t.task.executionId === executionId)
      .map((t) => t.task.taskId);
  }

  // --- VM keeper events ---

  onVmReady(vm: HeldVm): void {
    this.#sessionOf(vm.owner).vms.add(vm);
    const link = this.#keeper?.link(vm);
    for (const live of vm.running.values()) if (!live.exited) link?.run(this.#runRequest(live));
    this.#pump(this.#sessionOf(vm.owner));
  }

  onVmReleased(vm: HeldVm): void {
    this.#sessionOf(vm.owner).vms.delete(vm);
    this.pumpAll(); // another session may have waited for this pool
  }

  onAllocationFailed(vm: HeldVm, code: string, message: string): void {
    const session = this.#sessionOf(vm.owner);
    session.vms.delete(vm);
    // A refused request (unknown pool or zone, a bad spec) fails the tasks waiting for it; a
    // VM that died while starting is replaced by the next placement.
    if (code === 'INVALID_ARGUMENT' || code === 'PERMISSION_DENIED' || code === 'NOT_FOUND') {
      for (const live of [...(session.queues.get(vm.poolKey) ?? [])]) {
        this.#dequeue(live);
        this.#end(live, {
          state: 'FAILED',
          rc: RC_INTERNAL_ERROR,
          description: `no VM for the task: ${message}`,
        });
      }
      return;
    }
    this.#log.warn({ code, message, poolKey: vm.poolKey }, 'allocation failed; trying again');
    this.#pump(session);
  }

  onVmLost(vm: HeldVm, reason: string): void {
    const session = this.#sessionOf(vm.owner);
    session.vms.delete(vm);
    this.#keeper?.lost(vm);
    this.#log.warn({ vmId: vm.vmId, reason, tasks: vm.running.size }, 'vm lost');
    for (const live of [...vm.running.values()]) this.#retryOrFail(live, vm, reason);
    this.#pump(session);
  }

  onWorkerEvent(vm: HeldVm, event: WorkerEvent): void {
    const live = this.#tasks.get(event.taskId);
    this.#log.debug(
      {
        vmId: vm.vmId,
        event: event.kind,
        taskId: event.taskId,
        known: live !== undefined,
        sameVm: live?.vm === vm,
      },
      'worker event',
    );
    // Another attempt or a task that ended meanwhile (stopped): only free the VM.
    if (live === undefined || live.vm !== vm) {
      if (event.kind === 'done') this.#leave(vm, event.taskId);
      return;
    }
    switch (event.kind) {
      case 'started':
        if (live.progress.startedAt === undefined) this.#progress(live, { startedAt: this.#now() });
        return;
      case 'exited':
        this.#exited(live, event.outputs);
        return;
      case 'done':
        this.#done(live, event.rc, event.description);
        return;
    }
  }

  // --- placement ---

  #sessionOf(owner: string): Session {
    let session = this.#sessions.get(owner);
    if (session === undefined) {
      const at = owner.lastIndexOf('/');
      session = { owner, userId: owner.slice(0, at), queues: new Map(), vms: new Set() };
      this.#sessions.set(owner, session);
    }
    return session;
  }

  #enqueue(live: LiveTask, first: boolean): void {
    const queues = this.#sessionOf(live.owner).queues;
    const queue = queues.get(live.poolKey) ?? [];
    if (first) queue.unshift(live);
    else queue.push(live);
    queues.set(live.poolKey, queue);
  }

  #dequeue(live: LiveTask): void {
    const queue = this.#sessionOf(live.owner).queues.get(live.poolKey);
    const index = queue?.indexOf(live) ?? -1;
    if (queue !== undefined && index >= 0) queue.splice(index, 1);
  }

  /** Sends queued tasks to VMs with room, then asks for the VMs the rest need. */
  #pump(session: Session): void {
    for (const [poolKey, queue] of session.queues) {
      while (queue.length > 0) {
        const head = queue[0]!;
        const vm = this.#bestVm(session, poolKey, head);
        if (vm === undefined) break;
        queue.shift();
        this.#dispatch(head, vm);
      }
      if (queue.length > 0) this.#askForVms(session, poolKey, queue);
      else session.queues.delete(poolKey);
    }
    for (const vm of session.vms) this.#keeper?.setIdle(vm, this.#isIdle(session, vm));
  }

  /** The ready VM with room for the task, preferring the one holding most of its inputs. */
  #bestVm(session: Session, poolKey: string, live: LiveTask): HeldVm | undefined {
    const senders = this.#senders.get(live.task.executionId);
    let best: HeldVm | undefined;
    let bestScore = -1;
    for (const vm of session.vms) {
      if (vm.state !== 'ready' || vm.poolKey !== poolKey) continue;
      if (!fits(vm.used, live.needs, vm.capacity)) continue;
      const prefix = `slot://${vm.address ?? ''}/`;
      let score = 0;
      for (const channel of live.inputChannels)
        if (senders?.get(channel)?.startsWith(prefix) === true) score += 1;
      if (score > bestScore) {
        best = vm;
        bestScore = score;
      }
    }
    return best;
  }

  /** Allocates VMs for tasks that found no room, within the user's and the pool's limits. */
  #askForVms(session: Session, poolKey: string, queue: readonly LiveTask[]): void {
    const keeper = this.#keeper;
    const head = queue[0];
    if (keeper === undefined || head === undefined) return;
    const pool = this.#pools.get(head.task.poolLabel);
    if (pool === undefined) return;
    const sameKey = [...session.vms].filter((vm) => vm.poolKey === poolKey);
    const allocating = sameKey.filter((vm) => vm.state === 'allocating').length;
    const wanted = Math.ceil(
      queue.length / tasksPerVm(head.needs, sameKey[0]?.capacity ?? head.needs),
    );
    const heldByUser = [...this.#sessions.values()]
      .filter((s) => s.userId === session.userId)
      .reduce((n, s) => n + s.vms.size, 0);
    // Never more than the pool holds: beyond its cap an allocation only waits in the allocator.
    const poolRoom = pool.maxVms > 0 ? pool.maxVms - sameKey.length : Infinity;
    const userRoom = this.#deps.maxVmsPerUser - heldByUser;
    const more = Math.min(wanted - allocating, userRoom, poolRoom);
    for (let i = 0; i < more; i++) session.vms.add(keeper.allocate(session.owner, poolKey, pool));
    // Tasks no VM is coming for say why they wait (the site shows it beside the op).
    if (allocating + Math.max(0, more) > 0) return;
    const why =
      userRoom <= 0
        ? `${WAITING_FOR_VM}: user ${session.userId} holds ${heldByUser} VMs, the most one user may (LZY_SCHEDULER_MAX_VMS_PER_USER); it runs when one of them has room`
        : poolRoom <= 0
          ? `${WAITING_FOR_VM}: pool '${pool.label}' is at its cap of ${pool.maxVms} VMs for this workflow; it runs when one of them has room`
          : undefined;
    if (why === undefined) return;
    for (const live of queue)
      if (live.progress.description !== why) this.#progress(live, { description: why });
  }

  #isIdle(session: Session, vm: HeldVm): boolean {
    return vm.running.size === 0 && (session.queues.get(vm.poolKey)?.length ?? 0) === 0;
  }

  #dispatch(live: LiveTask, vm: HeldVm): void {
    live.vm = vm;
    vm.running.set(live.task.taskId, live);
    vm.used = addNeeds(vm.used, live.needs);
    this.#progress(live, {
      state: 'EXECUTING',
      attempt: live.progress.attempt + 1,
      vmId: vm.vmId,
      startedAt: undefined,
      // A note on why it waited is over; a retry's note stays.
      ...(live.progress.description.startsWith(WAITING_FOR_VM) ? { description: '' } : {}),
    });
    this.#keeper?.link(vm)?.run(this.#runRequest(live));
  }

  #runRequest(live: LiveTask): RunRequest {
    const { task } = live;
    const known = this.#senders.get(task.executionId);
    const inputSenders = new Map<string, string>();
    for (const channel of live.inputChannels) {
      const sender = known?.get(channel);
      if (sender !== undefined) inputSenders.set(channel, sender);
    }
    return {
      taskId: task.taskId,
      executionId: task.executionId,
      taskDesc: task.taskDesc,
      portalAddress: task.portalAddress,
      inputSenders,
      attempt: live.progress.attempt,
      traceContext: this.#spans.traceContextOf(task.taskId),
    };
  }

  // --- task events ---

  /** The command exited 0: its share of the VM is free and its dependents may run now. */
  #exited(live: LiveTask, outputs: readonly ExposedOutput[]): void {
    if (live.exited) return;
    live.exited = true;
    let senders = this.#senders.get(live.task.executionId);
    if (senders === undefined) {
      senders = new Map<string, string>();
      this.#senders.set(live.task.executionId, senders);
    }
    for (const output of outputs) senders.set(output.channelId, output.slotUri);
    if (live.vm !== undefined) live.vm.used = subtractNeeds(live.vm.used, live.needs);
    this.#releaseDependents(live.task.taskId);
    this.#pump(this.#sessionOf(live.owner));
  }

  #done(live: LiveTask, rc: number, description: string): void {
    if (rc === 0) {
      this.#exited(live, []); // no-op when it already exited
      this.#end(live, { state: 'SUCCEEDED', rc: 0, description: '' });
      return;
    }
    const { attempt } = live.progress;
    const { maxAttempts } = live.task;
    // An internal failure of the worker is the platform's; the op's own exit is retried only when
    // it asked. Never after its outputs were offered to consumers: the first complete run wins.
    const retriable = rc === RC_INTERNAL_ERROR || live.task.retryOnFailure;
    if (retriable && !live.exited && attempt < maxAttempts && live.vm !== undefined) {
      const vm = live.vm;
      const why = `attempt ${attempt} of ${maxAttempts} failed (exit code ${rc}: ${description})`;
      this.#leave(vm, live.task.taskId);
      this.#requeue(live, why);
      return;
    }
    const attempts = retriable && maxAttempts > 1 ? ` (attempt ${attempt} of ${maxAttempts})` : '';
    this.#end(live, { state: 'FAILED', rc, description: description + attempts });
  }

  /** Puts a task whose attempt ended early first in its queue again, and tells the user why. */
  #requeue(live: LiveTask, why: string): void {
    live.vm = undefined;
    live.exited = false;
    const description = `${why}; running it again`;
    this.#log.warn({ taskId: live.task.taskId, attempt: live.progress.attempt }, description);
    this.#deps.notices?.stderrLine(
      live.task.portalAddress,
      live.task.taskId,
      `[LZY] op '${live.task.operationName}' (task ${live.task.taskId}): ${description}`,
    );
    this.#progress(live, { state: 'QUEUED', vmId: '', description, queuedAt: this.#now() });
    this.#enqueue(live, true);
    this.#pump(this.#sessionOf(live.owner));
  }

  #releaseDependents(taskId: string): void {
    const dependents = this.#dependents.get(taskId);
    this.#dependents.delete(taskId);
    for (const id of dependents ?? []) {
      const dependent = this.#tasks.get(id);
      if (dependent === undefined) continue;
      dependent.pending.delete(taskId);
      if (dependent.pending.size === 0 && dependent.progress.state === 'WAITING') {
        this.#progress(dependent, { state: 'QUEUED', queuedAt: this.#now() });
        this.#enqueue(dependent, false);
      }
    }
  }

  /** A lost VM's task: run again while attempts are left (issue 12), else fail it. */
  #retryOrFail(live: LiveTask, vm: HeldVm, reason: string): void {
    vm.running.delete(live.task.taskId);
    if (isTerminalTaskState(live.progress.state)) return; // stopped: nothing to run again
    live.vm = undefined;
    const { attempt } = live.progress;
    if (attempt < live.task.maxAttempts) {
      this.#requeue(
        live,
        `attempt ${attempt} of ${live.task.maxAttempts} lost its VM ${vm.vmId} (${reason})`,
      );
      return;
    }
    this.#end(live, {
      state: 'FAILED',
      rc: RC_INTERNAL_ERROR,
      description: `worker VM lost: ${reason} (attempt ${attempt} of ${live.task.maxAttempts})`,
    });
  }

  /** Ends the task (terminal state) and lets go of its VM share. */
  #end(
    live: LiveTask,
    end: { state: 'SUCCEEDED' | 'FAILED' | 'STOPPED'; rc: number; description: string },
  ): void {
    this.#progress(live, { ...end, finishedAt: this.#now() });
    this.#tasks.delete(live.task.taskId);
    const { executionId } = live.task;
    const left = (this.#liveCount.get(executionId) ?? 1) - 1;
    if (left > 0) this.#liveCount.set(executionId, left);
    else {
      this.#liveCount.delete(executionId);
      this.#senders.delete(executionId);
    }
    const vm = live.vm;
    if (vm !== undefined && live.progress.state !== 'STOPPED') this.#leave(vm, live.task.taskId);
    this.#pump(this.#sessionOf(live.owner));
  }

  /** The task no longer runs on `vm` (done, or killed after a stop). */
  #leave(vm: HeldVm, taskId: string): void {
    const live = vm.running.get(taskId);
    if (live === undefined) return;
    vm.running.delete(taskId);
    if (!live.exited) vm.used = subtractNeeds(vm.used, live.needs);
    this.#pump(this.#sessionOf(vm.owner));
  }

  #progress(live: LiveTask, change: Partial<TaskProgress>): void {
    live.progress = { ...live.progress, ...change };
    this.#deps.writer.write(live.task.taskId, live.progress);
    this.#spans.progress(live);
  }

  #now(): Date {
    return new Date(this.#deps.clock.now());
  }
}

/** Needs of a task on a pool: declared, or the whole VM. */
export function needsOn(task: Pick<Task, 'needs'>, pool: PoolShape): TaskNeeds {
  return task.needs ?? { cpu: pool.cpu, gpu: pool.gpu, ramGb: pool.ramGb };
}
