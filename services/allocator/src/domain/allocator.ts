import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { FailedPrecondition, NotFound } from '@lzy/errors';
import { withTransaction } from '@lzy/db';
import type { Clock, Idempotency, Operation, OperationStore } from '@lzy/operations';
import type { AllocatorDatabase } from '../db/schema.ts';
import type { SessionStore } from '../db/session-store.ts';
import type { VmStore } from '../db/vm-store.ts';
import {
  allocateMetadata,
  allocateResponse,
  createSessionResponse,
  sessionIdOf,
} from './allocation-payloads.ts';
import { assertSessionAccess } from './caller.ts';
import type { VmBackend } from './ports.ts';
import type { Caller } from './caller.ts';
import type { PendingLaunch, VmLauncher } from './vm-launcher.ts';
import { newOtt, ottSha256 } from './vm-ott.ts';
import type { VmPoolSpec, VmPools } from './vm-pool.ts';
import type { VmReaper } from './vm-reaper.ts';
import type { VmEvents } from './vm-events.ts';
import { specKey } from './vm.ts';
import type { ClusterType, VmSpec } from './vm.ts';

export interface AllocatorDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly sessions: SessionStore;
  readonly vms: VmStore;
  readonly operations: OperationStore<AllocatorDatabase>;
  readonly pools: VmPools;
  readonly launcher: VmLauncher;
  readonly backend: VmBackend;
  readonly reaper: VmReaper;
  readonly events: VmEvents;
  readonly clock: Clock;
  readonly instanceId: string;
  readonly allocationTimeoutMs: number;
}

export interface AllocateInput extends VmSpec {
  readonly sessionId: string;
  readonly poolLabel: string;
  /** '' = the pool's first zone. */
  readonly zone: string;
  /** undefined = any cluster type. */
  readonly clusterType: ClusterType | undefined;
}

const READ_COMMITTED = { isolation: 'read committed' } as const;

/** Sessions, Allocate (with cache reuse) and Free (reference §3.4). */
export class Allocator {
  readonly #deps: AllocatorDeps;

  constructor(deps: AllocatorDeps) {
    this.#deps = deps;
  }

  /**
   * Creates a session. Idempotent with `idempotency`: the same key and request give the same
   * session (a CreateSession operation, done at once, remembers it).
   * @throws InvalidArgument for a reused key with a different request.
   */
  async createSession(
    input: { owner: string; ownerUserId: string; description: string; idleTimeoutMs: number },
    caller: Caller,
    idempotency: Idempotency | undefined,
  ): Promise<string> {
    const { db, operations, sessions, clock } = this.#deps;
    return withTransaction(
      db,
      async (trx) => {
        const { operation, created } = await operations.create(
          { description: `CreateSession for ${input.owner}`, createdBy: caller.subjectId },
          idempotency,
          trx,
        );
        if (!created) return this.#replayedSessionId(operation);
        const id = randomUUID();
        const session = { id, ...input, createdBy: caller.subjectId };
        await sessions.insert(trx, session, new Date(clock.now()));
        await operations.complete(operation.id, createSessionResponse(id), trx);
        return id;
      },
      READ_COMMITTED,
    );
  }

  #replayedSessionId(operation: Operation): string {
    if (operation.response === undefined) {
      throw new FailedPrecondition('The earlier CreateSession with this key did not succeed');
    }
    return sessionIdOf(operation.response);
  }

  /**
   * Deletes the session and all its VMs (their processes are killed). Idempotent: an unknown
   * session is fine. Resolves once the session is gone; VMs are torn down in the background.
   * @throws PermissionDenied for a session of another subject.
   */
  async deleteSession(sessionId: string, caller: Caller): Promise<void> {
    const { db, sessions, vms, reaper } = this.#deps;
    const vmIds = await withTransaction(
      db,
      async (trx) => {
        const session = await sessions.find(trx, sessionId, true);
        if (session === undefined) return [];
        assertSessionAccess(caller, session);
        await sessions.delete(trx, sessionId);
        return vms.liveIdsOfSession(trx, sessionId);
      },
      READ_COMMITTED,
    );
    const reason = `session ${sessionId} was deleted`;
    await Promise.all(vmIds.map((id) => reaper.delete(id, { reason })));
  }

  /**
   * Gets a VM for the session: an IDLE one of the same pool, zone and spec (the operation is
   * returned done), else a new one (done when the VM registers). Idempotent with `idempotency`.
   * @throws InvalidArgument (pool, zone, workloads), NotFound (session), PermissionDenied,
   *   ResourceExhausted (the pool is at its cap).
   */
  async allocate(
    input: AllocateInput,
    caller: Caller,
    idempotency: Idempotency | undefined,
  ): Promise<Operation> {
    const { db, sessions, vms, operations, pools, launcher, clock, events } = this.#deps;
    const { pool, zone } = pools.resolve(input.poolLabel, input.clusterType, input.zone);
    const spec: VmSpec = {
      initWorkloads: input.initWorkloads,
      workloads: input.workloads,
      volumes: input.volumes,
    };
    this.#deps.backend.check(spec, pool.clusterType);
    const key = specKey(spec);
    const outcome = await withTransaction(
      db,
      async (trx) => {
        const now = new Date(clock.now());
        const session = await sessions.find(trx, input.sessionId, true);
        if (session === undefined) {
          throw new NotFound(`Session ${input.sessionId} not found; create one with CreateSession`);
        }
        assertSessionAccess(caller, session);
        const cacheKey = { sessionId: session.id, poolLabel: pool.label, zone, specKey: key };
        const idle = await vms.findIdle(trx, cacheKey, now);
        const vmId = idle?.id ?? `vm-${pool.label}-${randomUUID()}`;
        const deadline = new Date(now.getTime() + this.#deps.allocationTimeoutMs);
        const { operation, created } = await operations.create(
          {
            description: `Allocate a VM of pool ${pool.label} for session ${session.id}`,
            createdBy: caller.subjectId,
            meta: allocateMetadata(vmId),
            deadline,
          },
          idempotency,
          trx,
        );
        if (!created) return { operation };
        if (idle !== undefined) {
          await vms.update(trx, vmId, { status: 'RUNNING', idleDeadline: null }, now);
          const response = allocateResponse({ ...idle, status: 'RUNNING' });
          const done = await operations.complete(operation.id, response, trx);
          return { operation: done.operation, changedVmId: vmId };
        }
        const launch = await this.#insertNewVm(trx, {
          vmId,
          sessionId: session.id,
          pool,
          zone,
          specKey: key,
          operationId: operation.id,
          deadline,
          now,
        });
        if (launch.ott === undefined) return { operation, changedVmId: vmId };
        const pending = pendingLaunch({ id: vmId, ott: launch.ott, pool, zone, spec, session });
        return { operation, changedVmId: vmId, launch: pending };
      },
      READ_COMMITTED,
    );
    if (outcome.changedVmId !== undefined) events.emit(outcome.changedVmId);
    if (outcome.launch !== undefined) launcher.launch(outcome.launch);
    return outcome.operation;
  }

  /**
   * Inserts an ALLOCATING VM with a fresh register token, under the pool's cap; at the cap the
   * VM is inserted QUEUED (no token: it gets one when drainQueue launches it).
   */
  async #insertNewVm(
    trx: Kysely<AllocatorDatabase>,
    vm: {
      vmId: string;
      sessionId: string;
      pool: VmPoolSpec;
      zone: string;
      specKey: string;
      operationId: string;
      deadline: Date;
      now: Date;
    },
  ): Promise<{ ott: string | undefined }> {
    const { vms } = this.#deps;
    const { pool } = vm;
    await vms.lockPool(trx, pool.label);
    const full =
      pool.maxVms > 0 &&
      (await vms.countLive(trx, pool.label, vm.now)) >= pool.maxVms &&
      !(await vms.expireOldestIdle(trx, pool.label, vm.now));
    // Others waiting for this pool go first.
    const queued = full || (await vms.hasQueued(trx, pool.label));
    const ott = queued ? undefined : newOtt();
    await vms.insert(
      trx,
      {
        id: vm.vmId,
        sessionId: vm.sessionId,
        poolLabel: pool.label,
        zone: vm.zone,
        clusterType: pool.clusterType,
        specKey: vm.specKey,
        allocationOperationId: vm.operationId,
        allocationDeadline: vm.deadline,
        ottSha256: ott === undefined ? '' : ottSha256(ott),
        ownerInstance: this.#deps.instanceId,
      },
      vm.now,
      queued,
    );
    return { ott };
  }

  /**
   * Returns a RUNNING VM to its session's cache: IDLE until now + the session's idle timeout.
   * Idempotent for an IDLE VM.
   * @throws NotFound (unknown, DELETING or DEAD), FailedPrecondition (ALLOCATING),
   *   PermissionDenied (a VM of another subject's session).
   */
  async free(vmId: string, caller: Caller): Promise<void> {
    const { db, sessions, vms, clock, events, reaper } = this.#deps;
    const idleTimeoutMs = await withTransaction(
      db,
      async (trx) => {
        const vm = await vms.find(trx, vmId, true);
        if (vm === undefined || vm.status === 'DELETING' || vm.status === 'DEAD') {
          throw new NotFound(`VM ${vmId} not found`);
        }
        const session = await sessions.find(trx, vm.sessionId);
        if (session === undefined) throw new NotFound(`VM ${vmId} not found`);
        assertSessionAccess(caller, session);
        if (vm.status === 'IDLE') return undefined;
        if (vm.status === 'ALLOCATING') {
          throw new FailedPrecondition(`VM ${vmId} is still allocating; wait for it first`);
        }
        const now = clock.now();
        const idleDeadline = new Date(now + session.idleTimeoutMs);
        await vms.update(trx, vmId, { status: 'IDLE', idleDeadline }, new Date(now));
        return session.idleTimeoutMs;
      },
      READ_COMMITTED,
    );
    if (idleTimeoutMs === undefined) return;
    events.emit(vmId);
    if (idleTimeoutMs === 0) reaper.wake(); // "0 = delete at once"
    await this.drainQueue(await this.#poolOf(vmId));
  }

  async #poolOf(vmId: string): Promise<string> {
    return (await this.#deps.vms.find(this.#deps.db, vmId))?.poolLabel ?? '';
  }

  /**
   * Launches QUEUED VMs of the pool, oldest first, while it has room; when it has none but an
   * IDLE VM (another session's cache), that VM is given to the reaper so the queue moves on when
   * it is gone. Called when a VM of the pool is gone or freed, and at start.
   */
  async drainQueue(poolLabel: string): Promise<void> {
    const { db, vms, sessions, clock, pools, launcher, events, reaper } = this.#deps;
    for (;;) {
      const outcome = await withTransaction(
        db,
        async (trx) => {
          await vms.lockPool(trx, poolLabel);
          const next = await vms.oldestQueued(trx, poolLabel);
          if (next === undefined) return undefined;
          const pool = pools.resolve(poolLabel, next.clusterType, next.zone).pool;
          const now = new Date(clock.now());
          if (pool.maxVms > 0 && (await vms.countLive(trx, poolLabel, now)) >= pool.maxVms) {
            if (await vms.expireOldestIdle(trx, poolLabel, now)) return 'reap' as const;
            return undefined;
          }
          const session = await sessions.find(trx, next.sessionId);
          if (session === undefined) return { kind: 'orphan' as const, vmId: next.id };
          const ott = newOtt();
          await vms.launchQueued(
            trx,
            next.id,
            {
              ottSha256: ottSha256(ott),
              allocationDeadline: new Date(now.getTime() + this.#deps.allocationTimeoutMs),
              ownerInstance: this.#deps.instanceId,
            },
            now,
          );
          const spec = JSON.parse(next.specKey) as VmSpec;
          return {
            kind: 'launch' as const,
            launch: pendingLaunch({ id: next.id, ott, pool, zone: next.zone, spec, session }),
          };
        },
        READ_COMMITTED,
      );
      if (outcome === undefined) return;
      if (outcome === 'reap') {
        reaper.wake();
        return;
      }
      if (outcome.kind === 'orphan') {
        await reaper.delete(outcome.vmId, { reason: 'its session was deleted' });
        continue;
      }
      events.emit(outcome.launch.id);
      launcher.launch(outcome.launch);
    }
  }
}

/** What the launcher needs to start a committed VM. */
function pendingLaunch(vm: {
  id: string;
  ott: string;
  pool: VmPoolSpec;
  zone: string;
  spec: VmSpec;
  session: { id: string; owner: string; ownerUserId: string };
}): PendingLaunch {
  const env = Object.assign({}, ...vm.spec.workloads.map((w) => w.env)) as Record<string, string>;
  return {
    id: vm.id,
    ott: vm.ott,
    clusterType: vm.pool.clusterType,
    sessionId: vm.session.id,
    sessionOwner: vm.session.owner,
    ownerUserId: vm.session.ownerUserId,
    pool: vm.pool,
    zone: vm.zone,
    spec: vm.spec,
    env,
  };
}
