import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/** Columns of `execution` whose change the site's monitor is told about (all but activity). */
const MONITORED_COLUMNS = [
  'execution_id',
  'user_id',
  'workflow_name',
  'status',
  'internal_storage',
  'storage_config',
  'allocator_session_id',
  'portal_vm_id',
  'portal_address',
  'finish_operation_id',
  'finish_reason',
  'created_at',
  'finished_at',
].join(', ');

/**
 * The execution reaper and per-user quotas (issue 12):
 * - `execution.last_activity_at`: the last call of the execution's client, written at most once
 *   per flush interval (ExecutionActivity); the reaper aborts RUN executions idle too long.
 * - partial indexes for the reaper's scan and the per-user count of active executions.
 * - the monitor trigger on `execution` no longer fires for activity writes alone.
 */
export const executionActivityMigration: Migration = {
  async up(db) {
    await sql`ALTER TABLE execution ADD COLUMN last_activity_at timestamptz`.execute(db);
    await sql`UPDATE execution SET last_activity_at = created_at`.execute(db);
    await sql`ALTER TABLE execution ALTER COLUMN last_activity_at SET NOT NULL`.execute(db);
    await sql`
      CREATE INDEX execution_idle_index ON execution (last_activity_at)
      WHERE status = 'RUN'`.execute(db);
    await sql`
      CREATE INDEX execution_user_active_index ON execution (user_id)
      WHERE status = 'RUN'`.execute(db);
    await sql`DROP TRIGGER execution_monitor_notify ON execution`.execute(db);
    await sql
      .raw(
        `CREATE TRIGGER execution_monitor_notify AFTER INSERT OR UPDATE OF ${MONITORED_COLUMNS}
         ON execution FOR EACH ROW EXECUTE FUNCTION monitor_notify_execution()`,
      )
      .execute(db);
  },
  async down(db) {
    await sql`DROP TRIGGER execution_monitor_notify ON execution`.execute(db);
    await sql
      .raw(
        `CREATE TRIGGER execution_monitor_notify AFTER INSERT OR UPDATE ON execution
         FOR EACH ROW EXECUTE FUNCTION monitor_notify_execution()`,
      )
      .execute(db);
    await sql`DROP INDEX execution_idle_index, execution_user_active_index`.execute(db);
    await sql`ALTER TABLE execution DROP COLUMN last_activity_at`.execute(db);
  },
};
