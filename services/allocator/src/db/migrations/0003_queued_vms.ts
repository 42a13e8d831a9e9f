import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Allocations wait for room instead of failing (issue 11: capacity is pushed, never polled): an
 * Allocate on a pool at its cap stores its VM as QUEUED (no process, no place in the pool) and
 * the VM is launched, oldest first, as soon as a VM of the pool is gone.
 */
export const queuedVms: Migration = {
  async up(db) {
    await sql`ALTER TABLE vm DROP CONSTRAINT vm_status_check`.execute(db);
    await sql`
      ALTER TABLE vm ADD CONSTRAINT vm_status_check
        CHECK (status IN ('QUEUED', 'ALLOCATING', 'RUNNING', 'IDLE', 'DELETING', 'DEAD'))`.execute(
      db,
    );
    await sql`CREATE INDEX vm_queued_idx ON vm (pool_label, created_at) WHERE status = 'QUEUED'`.execute(
      db,
    );
  },
};
