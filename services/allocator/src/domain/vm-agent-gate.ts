import type { Kysely } from 'kysely';
import { FailedPrecondition, NotFound } from '@lzy/errors';
import { withTransaction } from '@lzy/db';
import type { Clock, OperationStore } from '@lzy/operations';
import type { AllocatorDatabase } from '../db/schema.ts';
import type { VmStore } from '../db/vm-store.ts';
import { allocateResponse } from './allocation-payloads.ts';
import type { VmEvents } from './vm-events.ts';
import { checkOtt } from './vm-ott.ts';
import type { VmEndpoint } from './vm.ts';

export interface VmAgentGateDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly vms: VmStore;
  readonly operations: OperationStore<AllocatorDatabase>;
  readonly events: VmEvents;
  readonly clock: Clock;
  readonly heartbeatTimeoutMs: number;
}

const READ_COMMITTED = { isolation: 'read committed' } as const;

/** How often a VM should beat: a third of the timeout, so two lost beats are survivable. */
export function heartbeatPeriodOf(heartbeatTimeoutMs: number): number {
  return Math.max(1, Math.floor(heartbeatTimeoutMs / 3));
}

/**
 * What VMs call (AllocatorPrivateService): Register and Heartbeat, both proven by the VM's
 * one-time register token (reference §15: LZY's Heartbeat was unauthenticated and Register did
 * not check that the token belongs to the VM).
 */
export class VmAgentGate {
  readonly #deps: VmAgentGateDeps;

  constructor(deps: VmAgentGateDeps) {
    this.#deps = deps;
  }

  /** How often a VM should beat (heartbeatPeriodOf). */
  get heartbeatPeriodMs(): number {
    return heartbeatPeriodOf(this.#deps.heartbeatTimeoutMs);
  }

  /**
   * ALLOCATING → RUNNING with the VM's endpoints and metadata, completing its Allocate operation
   * in the same transaction (waiters are woken by the completion's NOTIFY). Idempotent for a
   * RUNNING/IDLE VM.
   * @throws NotFound, PermissionDenied (wrong token), FailedPrecondition (being deleted, or the
   *   allocation already failed: the VM should exit).
   */
  async register(
    vmId: string,
    ott: string,
    endpoints: readonly VmEndpoint[],
    metadata: Readonly<Record<string, string>>,
  ): Promise<void> {
    const { db, vms, operations, clock, events, heartbeatTimeoutMs } = this.#deps;
    const changed = await withTransaction(
      db,
      async (trx) => {
        const vm = await vms.find(trx, vmId, true);
        if (vm === undefined) throw new NotFound(`VM ${vmId} not found`);
        checkOtt(vmId, ott, vm.ottSha256);
        if (vm.status === 'RUNNING' || vm.status === 'IDLE') return false;
        if (vm.status !== 'ALLOCATING') {
          throw new FailedPrecondition(`VM ${vmId} is ${vm.status}; the VM should exit`);
        }
        const now = new Date(clock.now());
        const heartbeatDeadline = new Date(now.getTime() + heartbeatTimeoutMs);
        const running = { ...vm, status: 'RUNNING' as const, endpoints, metadata };
        const outcome = await operations.complete(
          vm.allocationOperationId,
          allocateResponse(running),
          trx,
        );
        if (!outcome.completed) {
          throw new FailedPrecondition(
            `The allocation of VM ${vmId} is already over (${outcome.operation.error?.message ?? 'done'}); the VM should exit`,
          );
        }
        await vms.update(
          trx,
          vmId,
          { status: 'RUNNING', endpoints, metadata, heartbeatDeadline },
          now,
        );
        return true;
      },
      READ_COMMITTED,
    );
    if (changed) events.emit(vmId);
  }

  /**
   * Moves the VM's heartbeat deadline. @throws NotFound, PermissionDenied (wrong token),
   * FailedPrecondition (not registered yet, or being deleted: the VM should exit).
   */
  async heartbeat(vmId: string, ott: string): Promise<void> {
    const { db, vms, clock, heartbeatTimeoutMs } = this.#deps;
    const vm = await vms.find(db, vmId);
    if (vm === undefined) throw new NotFound(`VM ${vmId} not found`);
    checkOtt(vmId, ott, vm.ottSha256);
    if (vm.status !== 'RUNNING' && vm.status !== 'IDLE') {
      throw new FailedPrecondition(`VM ${vmId} is ${vm.status}; heartbeats need a registered VM`);
    }
    const now = clock.now();
    await vms.update(
      db,
      vmId,
      { heartbeatDeadline: new Date(now + heartbeatTimeoutMs) },
      new Date(now),
    );
  }
}
