import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '@lzy/grpc';
import type { HeldVmTable, SchedulerDatabase } from './schema.ts';

/** A worker VM the scheduler holds for a session (allocating, or registered at `address`). */
export interface HeldVmRecord {
  vmId: string;
  owner: string;
  sessionId: string;
  poolLabel: string;
  zone: string;
  allocateOperationId: string;
  address: string | undefined;
}

function toRecord(row: Selectable<HeldVmTable>): HeldVmRecord {
  return {
    vmId: row.vm_id,
    owner: row.owner,
    sessionId: row.session_id,
    poolLabel: row.pool_label,
    zone: row.zone,
    allocateOperationId: row.allocate_operation_id,
    address: row.address ?? undefined,
  };
}

/** All SQL of table `held_vm`: the VMs a restarted scheduler takes back. */
export class HeldVmStore {
  readonly #db: Kysely<SchedulerDatabase>;
  readonly #clock: Clock;

  constructor(deps: { db: Kysely<SchedulerDatabase>; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Idempotent on the VM id. */
  async add(vm: Omit<HeldVmRecord, 'address'>): Promise<void> {
    await this.#db
      .insertInto('held_vm')
      .values({
        vm_id: vm.vmId,
        owner: vm.owner,
        session_id: vm.sessionId,
        pool_label: vm.poolLabel,
        zone: vm.zone,
        allocate_operation_id: vm.allocateOperationId,
        address: null,
        created_at: new Date(this.#clock.now()),
      })
      .onConflict((oc) => oc.column('vm_id').doNothing())
      .execute();
  }

  async setAddress(vmId: string, address: string): Promise<void> {
    await this.#db.updateTable('held_vm').set({ address }).where('vm_id', '=', vmId).execute();
  }

  /** Idempotent. */
  async remove(vmId: string): Promise<void> {
    await this.#db.deleteFrom('held_vm').where('vm_id', '=', vmId).execute();
  }

  async list(): Promise<HeldVmRecord[]> {
    const rows = await this.#db.selectFrom('held_vm').selectAll().orderBy('created_at').execute();
    return rows.map(toRecord);
  }
}
