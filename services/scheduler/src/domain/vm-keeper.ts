import { randomUUID } from 'node:crypto';
import type { Logger } from '@lzy/logging';
import type { HeldVmRecord, HeldVmStore } from '../db/held-vm-store.ts';
import type { AllocatorSessions } from './allocator-sessions.ts';
import type { HeldVm } from './live-task.ts';
import { splitPoolKey } from './live-task.ts';
import type {
  AllocatorPort,
  PoolShape,
  WorkerEvent,
  WorkerLink,
  WorkerLinkFactory,
} from './ports.ts';
import { messageOf } from './retry.ts';
import { NOTHING, wholeVm } from './vm-capacity.ts';

export interface VmKeeperDeps {
  allocator: AllocatorPort;
  sessions: AllocatorSessions;
  store: HeldVmStore;
  links: WorkerLinkFactory;
  log: Logger;
  /** An idle held VM is given back to the allocator after this long without work. */
  lingerMs: number;
}

/** What the keeper tells the dispatcher. */
export interface VmKeeperEvents {
  /** The VM registered and its link is open: tasks may go to it. */
  onReady(vm: HeldVm): void;
  /** A task event from the VM's worker. */
  onWorkerEvent(vm: HeldVm, event: WorkerEvent): void;
  /** The VM is gone (or never came): its tasks are lost. */
  onLost(vm: HeldVm, reason: string): void;
  /** An allocation could not give a VM: `code` is the allocator's error code. */
  onAllocationFailed(vm: HeldVm, code: string, message: string): void;
  /** A VM was given back (its capacity is free again for any session). */
  onReleased(vm: HeldVm): void;
}

/**
 * The VMs the scheduler holds per session: allocates them (push: WatchOperation), opens one
 * Dispatch link to each, watches the allocator for their loss (push: WatchVm), gives idle ones
 * back after a linger, and takes its VMs back after a restart (held_vm rows). No Allocate/Free
 * per task.
 */
export class VmKeeper {
  readonly #deps: VmKeeperDeps;
  readonly #events: VmKeeperEvents;
  readonly #links = new Map<string, WorkerLink>();
  /** Every VM held (its watches end at close). */
  readonly #held = new Set<HeldVm>();
  /** Resumed VMs not reopened yet → their Allocate operation. */
  readonly #resumed = new Map<HeldVm, string>();
  readonly #log: Logger;
  #closed = false;

  constructor(deps: VmKeeperDeps, events: VmKeeperEvents) {
    this.#deps = deps;
    this.#events = events;
    this.#log = deps.log.child({ component: 'vm-keeper' });
  }

  link(vm: HeldVm): WorkerLink | undefined {
    return this.#links.get(vm.vmId);
  }

  /** Asks the allocator for a new VM of `vm.poolKey` for the session of `owner`. */
  allocate(owner: string, poolKey: string, pool: PoolShape): HeldVm {
    const vm = this.#newVm(`pending-${randomUUID()}`, owner, poolKey, pool);
    void this.#allocate(vm).catch((err: unknown) => {
      if (this.#closed) return;
      this.#log.warn({ err, owner, poolKey }, 'allocation failed');
      this.#events.onAllocationFailed(vm, 'UNAVAILABLE', messageOf(err));
    });
    return vm;
  }

  /**
   * Takes back a VM a previous process held. Nothing reaches it before `reopen(vm)`: its
   * worker's first events must find the tasks the caller puts back on it first.
   */
  resume(record: HeldVmRecord, pool: PoolShape, poolKey: string): HeldVm {
    const vm = this.#newVm(record.vmId, record.owner, poolKey, pool);
    vm.address = record.address;
    this.#resumed.set(vm, record.allocateOperationId);
    return vm;
  }

  /** Opens the link of a resumed VM (or waits for its allocation, if it never registered). */
  reopen(vm: HeldVm): void {
    const operationId = this.#resumed.get(vm);
    this.#resumed.delete(vm);
    if (operationId === undefined) return;
    if (vm.address !== undefined) {
      this.#becomeReady(vm, vm.address);
      return;
    }
    void this.#awaitRegistered(vm, operationId).catch((err: unknown) => {
      if (!this.#closed) this.#events.onAllocationFailed(vm, 'UNAVAILABLE', messageOf(err));
    });
  }

  /** Starts or stops the linger of an idle VM. */
  setIdle(vm: HeldVm, idle: boolean): void {
    if (!idle || vm.state !== 'ready') {
      if (vm.linger !== undefined) clearTimeout(vm.linger);
      vm.linger = undefined;
      return;
    }
    if (vm.linger !== undefined) return;
    vm.linger = setTimeout(() => {
      vm.linger = undefined;
      void this.release(vm, 'idle');
    }, this.#deps.lingerMs);
  }

  /** Gives the VM back to the allocator (it stays in the session's cache) and forgets it. */
  async release(vm: HeldVm, why: string): Promise<void> {
    if (vm.state === 'gone') return;
    this.#forget(vm);
    try {
      await this.#deps.allocator.free(vm.vmId, new AbortController().signal);
    } catch (err) {
      this.#log.debug({ err, vmId: vm.vmId }, 'free of a released vm failed (gone already?)');
    }
    await this.#deps.store.remove(vm.vmId).catch((err: unknown) => {
      this.#log.warn({ err, vmId: vm.vmId }, 'cannot forget a released vm; a restart frees it');
    });
    this.#log.info({ vmId: vm.vmId, why }, 'vm released');
    this.#events.onReleased(vm);
  }

  /** The VM is lost: forget it (the allocator deletes it). */
  lost(vm: HeldVm): void {
    if (vm.state === 'gone') return;
    this.#forget(vm);
    void this.#deps.store.remove(vm.vmId).catch(() => undefined);
  }

  /** Closes every link without giving VMs back: a restarted scheduler takes them again. */
  close(): void {
    this.#closed = true;
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    for (const vm of this.#held) vm.closed.abort();
  }

  #newVm(vmId: string, owner: string, poolKey: string, pool: PoolShape): HeldVm {
    const vm: HeldVm = {
      vmId,
      owner,
      poolKey,
      capacity: wholeVm(pool),
      address: undefined,
      state: 'allocating',
      used: NOTHING,
      running: new Map(),
      linger: undefined,
      closed: new AbortController(),
    };
    this.#held.add(vm);
    return vm;
  }

  async #allocate(vm: HeldVm): Promise<void> {
    const { allocator, sessions, store } = this.#deps;
    const signal = vm.closed.signal;
    const sessionId = await sessions.sessionOf(vm.owner, signal);
    const { poolLabel, zone } = splitPoolKey(vm.poolKey);
    const started = await allocator.allocate(
      { sessionId, poolLabel, zone, idempotencyKey: vm.vmId },
      signal,
    );
    const vmId = started.vmId ?? vm.vmId;
    vm.vmId = vmId;
    await store.add({
      vmId,
      owner: vm.owner,
      sessionId,
      poolLabel,
      zone,
      allocateOperationId: started.operationId,
    });
    await this.#awaitRegistered(vm, started.operationId);
  }

  async #awaitRegistered(vm: HeldVm, operationId: string): Promise<void> {
    const outcome = await this.#deps.allocator.awaitAllocation(operationId, vm.closed.signal);
    if (!outcome.ok) {
      this.#forget(vm);
      await this.#deps.store.remove(vm.vmId).catch(() => undefined);
      this.#events.onAllocationFailed(vm, outcome.code, outcome.message);
      return;
    }
    vm.vmId = outcome.vmId;
    await this.#deps.store.setAddress(outcome.vmId, outcome.vmAddress);
    this.#becomeReady(vm, outcome.vmAddress);
  }

  #becomeReady(vm: HeldVm, address: string): void {
    if (vm.state === 'gone' || this.#closed) return;
    vm.address = address;
    vm.state = 'ready';
    const { userId, workflowName } = ownerParts(vm.owner);
    const link = this.#deps.links.open(
      { vmId: vm.vmId, address },
      { userId, workflowName },
      {
        onEvent: (event) => this.#events.onWorkerEvent(vm, event),
        onBroken: () => undefined, // re-opened by the link; loss comes from the allocator
        onRefused: (message) => this.#lose(vm, `the worker refused the session: ${message}`),
      },
    );
    this.#links.set(vm.vmId, link);
    void this.#deps.allocator
      .watchLoss(vm.vmId, vm.closed.signal)
      .then((reason) => this.#lose(vm, reason === '' ? 'the VM is gone' : reason))
      .catch(() => undefined); // closed
    this.#log.info({ vmId: vm.vmId, address }, 'vm held');
    this.#events.onReady(vm);
  }

  #lose(vm: HeldVm, reason: string): void {
    if (vm.state === 'gone' || this.#closed) return;
    this.#events.onLost(vm, reason);
  }

  #forget(vm: HeldVm): void {
    this.#held.delete(vm);
    vm.state = 'gone';
    if (vm.linger !== undefined) clearTimeout(vm.linger);
    vm.linger = undefined;
    vm.closed.abort();
    this.#links.get(vm.vmId)?.close();
    this.#links.delete(vm.vmId);
  }
}

/** `<userId>/<workflowName>` (sessionOwner); workflow names hold no `/`. */
export function ownerParts(owner: string): { userId: string; workflowName: string } {
  const at = owner.lastIndexOf('/');
  return { userId: owner.slice(0, at), workflowName: owner.slice(at + 1) };
}
