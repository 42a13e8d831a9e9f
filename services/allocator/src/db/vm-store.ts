import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { ClusterType, Vm, VmEndpoint, VmStatus } from '../domain/vm.ts';
import type { AllocatorDatabase, VmTable } from './schema.ts';

type Db = Kysely<AllocatorDatabase>;
type VmRow = Selectable<VmTable>;

/** A VM with the columns only the allocator itself needs. */
export interface VmRecord extends Vm {
  /** Canonical JSON of its VmSpec (specKey). */
  readonly specKey: string;
  readonly ottSha256: string;
  readonly pid: number | undefined;
  readonly allocationDeadline: Date;
  readonly heartbeatDeadline: Date | undefined;
  readonly idleDeadline: Date | undefined;
}

export interface NewVm {
  readonly id: string;
  readonly sessionId: string;
  readonly poolLabel: string;
  readonly zone: string;
  readonly clusterType: ClusterType;
  readonly specKey: string;
  readonly allocationOperationId: string;
  readonly allocationDeadline: Date;
  readonly ottSha256: string;
  readonly ownerInstance: string;
}

function toVm(row: VmRow): VmRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    poolLabel: row.pool_label,
    zone: row.zone,
    clusterType: row.cluster_type as ClusterType,
    status: row.status as VmStatus,
    endpoints: row.endpoints as VmEndpoint[],
    metadata: row.metadata,
    allocationOperationId: row.allocation_op_id,
    createdAt: row.created_at,
    statusChangedAt: row.status_changed_at,
    deleteReason: row.delete_reason ?? '',
    specKey: row.spec_key,
    ottSha256: row.ott_sha256,
    pid: row.pid ?? undefined,
    allocationDeadline: row.allocation_deadline,
    heartbeatDeadline: row.heartbeat_deadline ?? undefined,
    idleDeadline: row.idle_deadline ?? undefined,
  };
}

/** NOTIFY channel carrying the id of every changed VM (delivered at commit). */
export const VM_CHANGED_CHANNEL = 'lzy_allocator_vm_changed';

async function notifyChanged(db: Db, id: string): Promise<void> {
  await sql`SELECT pg_notify(${VM_CHANGED_CHANNEL}, ${id})`.execute(db);
}

/**
 * SQL for table `vm`. Every method takes the database or a transaction. Writes NOTIFY
 * VM_CHANGED_CHANNEL so WatchVm streams of every allocator instance wake up.
 */
export class VmStore {
  /** Inserts the VM ALLOCATING, or QUEUED (`queued`: its pool is at its cap). */
  async insert(db: Db, vm: NewVm, now: Date, queued = false): Promise<void> {
    await db
      .insertInto('vm')
      .values({
        id: vm.id,
        session_id: vm.sessionId,
        pool_label: vm.poolLabel,
        zone: vm.zone,
        cluster_type: vm.clusterType,
        spec_key: vm.specKey,
        status: queued ? 'QUEUED' : 'ALLOCATING',
        allocation_op_id: vm.allocationOperationId,
        allocation_deadline: vm.allocationDeadline,
        ott_sha256: vm.ottSha256,
        owner_instance: vm.ownerInstance,
        endpoints: '[]',
        metadata: '{}',
        created_at: now,
        status_changed_at: now,
      })
      .execute();
    await notifyChanged(db, vm.id);
  }

  /** The VM, locked FOR UPDATE when `lock`. */
  async find(db: Db, id: string, lock = false): Promise<VmRecord | undefined> {
    let query = db.selectFrom('vm').selectAll().where('id', '=', id);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : toVm(row);
  }

  /**
   * An IDLE VM of the session and pool with an identical spec, locked (SKIP LOCKED: a concurrent
   * Allocate takes another one or none).
   */
  async findIdle(
    db: Db,
    key: { sessionId: string; poolLabel: string; zone: string; specKey: string },
    now: Date,
  ): Promise<VmRecord | undefined> {
    const row = await db
      .selectFrom('vm')
      .selectAll()
      .where('session_id', '=', key.sessionId)
      .where('pool_label', '=', key.poolLabel)
      .where('zone', '=', key.zone)
      .where('spec_key', '=', key.specKey)
      .where('status', '=', 'IDLE')
      // Past its idle deadline it belongs to the reaper (expireOldestIdle may have given it up).
      .where('idle_deadline', '>', now)
      .orderBy('status_changed_at', 'desc')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    return row === undefined ? undefined : toVm(row);
  }

  /** Serializes cap checks of one pool until the transaction ends. */
  async lockPool(db: Db, poolLabel: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`lzy-allocator-pool:${poolLabel}`}))`.execute(
      db,
    );
  }

  async countLive(db: Db, poolLabel: string, now: Date): Promise<number> {
    const row = await db
      .selectFrom('vm')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('pool_label', '=', poolLabel)
      .where('status', 'not in', ['DEAD', 'QUEUED'])
      // An idle VM past its deadline is already the reaper's: it no longer holds a place.
      .where((eb) => eb.not(eb.and([eb('status', '=', 'IDLE'), eb('idle_deadline', '<=', now)])))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Hands the longest-idle VM of a pool to the reaper (its idle deadline becomes `now`), so that a
   * full pool serves a new allocation instead of keeping another session's idle cache.
   * @returns whether there was an idle VM to give up
   */
  async expireOldestIdle(db: Db, poolLabel: string, now: Date): Promise<boolean> {
    const oldest = await db
      .selectFrom('vm')
      .select('id')
      .where('pool_label', '=', poolLabel)
      .where('status', '=', 'IDLE')
      .where('idle_deadline', '>', now)
      .orderBy('status_changed_at')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    if (oldest === undefined) return false;
    await db.updateTable('vm').set({ idle_deadline: now }).where('id', '=', oldest.id).execute();
    return true;
  }

  /** Sets the status and whatever goes with it; `status_changed_at` moves only on a change. */
  async update(
    db: Db,
    id: string,
    change: {
      status?: VmStatus;
      endpoints?: readonly VmEndpoint[];
      metadata?: Readonly<Record<string, string>>;
      heartbeatDeadline?: Date | null;
      idleDeadline?: Date | null;
      pid?: number | null;
      deleteReason?: string;
    },
    now: Date,
  ): Promise<void> {
    await db
      .updateTable('vm')
      .set({
        ...(change.status === undefined
          ? {}
          : {
              status: change.status,
              status_changed_at: sql<Date>`CASE WHEN status = ${change.status} THEN status_changed_at ELSE ${now} END`,
            }),
        ...(change.endpoints === undefined ? {} : { endpoints: JSON.stringify(change.endpoints) }),
        ...(change.metadata === undefined ? {} : { metadata: JSON.stringify(change.metadata) }),
        ...(change.heartbeatDeadline === undefined
          ? {}
          : { heartbeat_deadline: change.heartbeatDeadline }),
        ...(change.idleDeadline === undefined ? {} : { idle_deadline: change.idleDeadline }),
        ...(change.pid === undefined ? {} : { pid: change.pid }),
        ...(change.deleteReason === undefined ? {} : { delete_reason: change.deleteReason }),
      })
      .where('id', '=', id)
      .execute();
    await notifyChanged(db, id);
  }

  /** VMs ordered by id, after `afterId`, optionally of one session. */
  async list(
    db: Db,
    options: { sessionId?: string; afterId?: string; limit: number },
  ): Promise<VmRecord[]> {
    let query = db.selectFrom('vm').selectAll();
    if (options.sessionId !== undefined) query = query.where('session_id', '=', options.sessionId);
    if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map(toVm);
  }

  /** The oldest QUEUED VM of the pool, locked (SKIP LOCKED: another drain takes the next). */
  async oldestQueued(db: Db, poolLabel: string): Promise<VmRecord | undefined> {
    const row = await db
      .selectFrom('vm')
      .selectAll()
      .where('pool_label', '=', poolLabel)
      .where('status', '=', 'QUEUED')
      .orderBy('created_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    return row === undefined ? undefined : toVm(row);
  }

  /** Whether the pool has QUEUED VMs. */
  async hasQueued(db: Db, poolLabel: string): Promise<boolean> {
    const row = await db
      .selectFrom('vm')
      .select('id')
      .where('pool_label', '=', poolLabel)
      .where('status', '=', 'QUEUED')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A QUEUED VM leaves the queue: ALLOCATING with a fresh token and deadline. */
  async launchQueued(
    db: Db,
    id: string,
    launch: { ottSha256: string; allocationDeadline: Date; ownerInstance: string },
    now: Date,
  ): Promise<void> {
    await db
      .updateTable('vm')
      .set({
        status: 'ALLOCATING',
        status_changed_at: now,
        ott_sha256: launch.ottSha256,
        allocation_deadline: launch.allocationDeadline,
        owner_instance: launch.ownerInstance,
      })
      .where('id', '=', id)
      .where('status', '=', 'QUEUED')
      .execute();
    await notifyChanged(db, id);
  }

  /** Ids of the not-DEAD VMs of a session. */
  async liveIdsOfSession(db: Db, sessionId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('vm')
      .select('id')
      .where('session_id', '=', sessionId)
      .where('status', '<>', 'DEAD')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Every not-DEAD VM with its cluster (restart recovery). */
  async liveRefs(db: Db): Promise<{ id: string; clusterType: ClusterType }[]> {
    const rows = await db
      .selectFrom('vm')
      .select(['id', 'cluster_type'])
      .where('status', '<>', 'DEAD')
      .execute();
    return rows.map((r) => ({ id: r.id, clusterType: r.cluster_type as ClusterType }));
  }

  /**
   * VMs past a deadline (reference §3.9 step 2): IDLE past the idle deadline, RUNNING/IDLE past
   * the heartbeat deadline, ALLOCATING past the allocation deadline, and DELETING ones (a
   * deletion interrupted by a crash). Oldest change first.
   */
  async listExpired(db: Db, now: Date, limit: number): Promise<VmRecord[]> {
    const rows = await db
      .selectFrom('vm')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'IDLE'), eb('idle_deadline', '<=', now)]),
          eb.and([eb('status', 'in', ['RUNNING', 'IDLE']), eb('heartbeat_deadline', '<=', now)]),
          eb.and([eb('status', '=', 'ALLOCATING'), eb('allocation_deadline', '<=', now)]),
          eb('status', '=', 'DELETING'),
        ]),
      )
      .orderBy('status_changed_at')
      .limit(limit)
      .execute();
    return rows.map(toVm);
  }
}
