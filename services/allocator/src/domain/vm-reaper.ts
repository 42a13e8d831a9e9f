import type { Kysely } from 'kysely';
import { withTransaction } from '@lzy/db';
import type { Logger } from '@lzy/logging';
import type { Clock, OperationError, OperationStore } from '@lzy/operations';
import type { AllocatorDatabase } from '../db/schema.ts';
import type { VmStore } from '../db/vm-store.ts';
import type { VmRecord } from '../db/vm-store.ts';
import type { VmBackend, VmIdentityIssuer } from './ports.ts';
import type { VmEvents } from './vm-events.ts';

export interface VmReaperDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly vms: VmStore;
  readonly operations: OperationStore<AllocatorDatabase>;
  readonly backend: VmBackend;
  readonly identity: VmIdentityIssuer;
  readonly events: VmEvents;
  readonly clock: Clock;
  readonly log: Logger;
  readonly sweepIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly allocationTimeoutMs: number;
  /** A VM of the pool is DEAD: its place may go to a QUEUED one (Allocator.drainQueue). */
  readonly onGone?: (poolLabel: string) => Promise<void>;
}

/** Why a VM is deleted; `error` fails its Allocate operation if that is still pending. */
export interface DeleteCause {
  readonly reason: string;
  readonly error?: OperationError;
  /**
   * Delete only if the VM is still past a deadline when its row is locked (the sweep): an
   * Allocate may have taken an expired-looking IDLE VM between the listing and the deletion.
   */
  readonly onlyIfExpired?: boolean;
}

const SWEEP_BATCH = 50;

/**
 * Deletes VMs (reference §3.9, local variant): DELETING (fail a pending allocation) → process
 * killed → IAM subject removed → DEAD. Also the periodic sweep for expired VMs (idle, heartbeat
 * and allocation deadlines) and restart recovery. Deletions of one VM are deduplicated in-process.
 */
export class VmReaper {
  readonly #deps: VmReaperDeps;
  readonly #log: Logger;
  readonly #deleting = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(deps: VmReaperDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'vm-reaper' });
  }

  /** Deletes `vmId` (idempotent; resolves when the VM is DEAD). */
  delete(vmId: string, cause: DeleteCause): Promise<void> {
    let running = this.#deleting.get(vmId);
    if (running === undefined) {
      running = this.#delete(vmId, cause).finally(() => this.#deleting.delete(vmId));
      this.#deleting.set(vmId, running);
    }
    return running;
  }

  async #delete(vmId: string, cause: DeleteCause): Promise<void> {
    const { db, vms, operations, events, backend, identity, clock } = this.#deps;
    const vm = await withTransaction(
      db,
      async (trx) => {
        const found = await vms.find(trx, vmId, true);
        if (found === undefined || found.status === 'DEAD') return undefined;
        const now = new Date(clock.now());
        if (cause.onlyIfExpired === true && !isExpired(found, now)) return undefined;
        if (found.status !== 'DELETING') {
          await vms.update(
            trx,
            vmId,
            { status: 'DELETING', idleDeadline: null, deleteReason: cause.reason },
            now,
          );
        }
        const error = cause.error ?? {
          code: 'ABORTED',
          message: `VM ${vmId} was deleted before it registered: ${cause.reason}`,
        };
        await operations.fail(found.allocationOperationId, error, trx);
        return found;
      },
      { isolation: 'read committed' },
    );
    if (vm === undefined) return;
    events.emit(vmId);
    this.#log.info({ vmId, pool: vm.poolLabel, reason: cause.reason }, 'deleting vm');
    await backend.kill({ id: vmId, clusterType: vm.clusterType });
    try {
      await identity.revoke(vmId);
    } catch (err) {
      // The VM is gone either way; a leaked subject holds a key nobody has any more.
      this.#log.warn({ err, vmId }, 'could not remove the IAM subject of a deleted vm');
    }
    await vms.update(db, vmId, { status: 'DEAD', heartbeatDeadline: null }, new Date(clock.now()));
    events.emit(vmId);
    this.#log.info({ vmId }, 'vm deleted');
    await this.#deps
      .onGone?.(vm.poolLabel)
      .catch((err: unknown) =>
        this.#log.warn({ err, pool: vm.poolLabel }, 'cannot launch the queued vms of the pool'),
      );
  }

  /** One pass over expired VMs. */
  async sweep(): Promise<void> {
    const { db, vms, clock } = this.#deps;
    const expired = await vms.listExpired(db, new Date(clock.now()), SWEEP_BATCH);
    await Promise.all(
      expired.map((vm) => this.delete(vm.id, { ...this.#causeOf(vm), onlyIfExpired: true })),
    );
  }

  #causeOf(vm: VmRecord): DeleteCause {
    const { heartbeatTimeoutMs, allocationTimeoutMs } = this.#deps;
    switch (vm.status) {
      case 'ALLOCATING': {
        const message = `VM ${vm.id} did not register within ${allocationTimeoutMs} ms`;
        return { reason: message, error: { code: 'DEADLINE_EXCEEDED', message } };
      }
      case 'IDLE':
        if (vm.idleDeadline !== undefined && vm.idleDeadline.getTime() <= this.#deps.clock.now())
          return { reason: 'idle timeout of its session passed' };
        return { reason: `no heartbeat for ${heartbeatTimeoutMs} ms` };
      case 'RUNNING':
        return { reason: `no heartbeat for ${heartbeatTimeoutMs} ms` };
      case 'DELETING':
      case 'DEAD':
      case 'QUEUED':
        return { reason: 'deletion resumed' };
    }
  }

  /** Starts the periodic sweep. */
  start(): void {
    this.#timer = setInterval(() => this.wake(), this.#deps.sweepIntervalMs);
    this.#timer.unref();
  }

  /** Runs a sweep now (unless one is running). */
  wake(): void {
    if (this.#sweeping !== undefined) return;
    this.#sweeping = this.sweep()
      .catch((err: unknown) => this.#log.warn({ err }, 'vm sweep failed; retrying next period'))
      .finally(() => (this.#sweeping = undefined));
  }

  /**
   * Restart recovery, run before serving: the backend adopts the VMs it still runs (pods outlive
   * the allocator) and removes what has no live VM row; every live VM it does not run (a local
   * process of a previous allocator process, a pod that vanished meanwhile) is deleted and a
   * pending allocation fails UNAVAILABLE (the caller allocates again). Assumes one allocator
   * instance per database.
   */
  async recover(): Promise<void> {
    const { db, vms, backend } = this.#deps;
    const live = await vms.liveRefs(db);
    const lost = await backend.recover(live);
    if (lost.length === 0) return;
    const [reason, message] = backend.vmsOutliveAllocator
      ? [
          'its pod vanished while the allocator was down',
          'The VM pod vanished while the allocator was down; allocate again',
        ]
      : ['allocator restarted', 'The allocator restarted and lost the VM process; allocate again'];
    this.#log.warn({ count: lost.length, reason }, 'deleting vms lost across a restart');
    await Promise.all(
      lost.map((id) => this.delete(id, { reason, error: { code: 'UNAVAILABLE', message } })),
    );
  }

  /** Stops the sweep and waits for running deletions. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping;
    await Promise.allSettled([...this.#deleting.values()]);
  }
}

/** The row-level twin of VmStore.listExpired's condition. */
function isExpired(vm: VmRecord, now: Date): boolean {
  const past = (deadline: Date | undefined) =>
    deadline !== undefined && deadline.getTime() <= now.getTime();
  switch (vm.status) {
    case 'IDLE':
      return past(vm.idleDeadline) || past(vm.heartbeatDeadline);
    case 'RUNNING':
      return past(vm.heartbeatDeadline);
    case 'ALLOCATING':
      return past(vm.allocationDeadline);
    case 'DELETING':
      return true;
    case 'DEAD':
    case 'QUEUED':
      return false;
  }
}
