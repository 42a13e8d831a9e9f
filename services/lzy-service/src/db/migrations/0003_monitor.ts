import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/** pg_notify channel of execution changes; the payload is the execution id. */
export const EXECUTION_CHANGED_CHANNEL = 'lzy_monitor_execution';

/**
 * What the site's execution monitor (issue 14) needs beyond the workflow tables:
 * - `monitor_graph`: the ops of each submitted graph (task id, name, pool, slots with channel ids)
 *   as graph-executor received them; nothing else records a graph's structure.
 * - `monitor_channel`: the storage URI behind each channel of an execution (from the portal's
 *   snapshot slots), so an op's inputs and outputs show their URIs.
 * - triggers that `pg_notify` the execution id whenever an execution row, a graph's view (op
 *   states) or its recorded ops change, so WatchExecutions pushes without the workflow code
 *   knowing about the monitor. Notifications are delivered on commit.
 */
export const monitorMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE monitor_graph (
        execution_id text NOT NULL,
        graph_id     text NOT NULL,
        ops          jsonb NOT NULL,
        op_count     integer NOT NULL,
        created_at   timestamptz NOT NULL,
        PRIMARY KEY (execution_id, graph_id)
      )`.execute(db);
    await sql`
      CREATE TABLE monitor_channel (
        execution_id text NOT NULL,
        channel_id   text NOT NULL,
        storage_uri  text NOT NULL,
        PRIMARY KEY (execution_id, channel_id)
      )`.execute(db);
    await sql`CREATE INDEX execution_created_index ON execution (created_at DESC, execution_id DESC)`.execute(
      db,
    );
    await sql`CREATE INDEX execution_user_created_index ON execution (user_id, created_at DESC)`.execute(
      db,
    );
    await sql
      .raw(
        `CREATE FUNCTION monitor_notify_execution() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           PERFORM pg_notify('${EXECUTION_CHANGED_CHANNEL}', NEW.execution_id);
           RETURN NULL;
         END $$`,
      )
      .execute(db);
    for (const table of ['execution', 'graph', 'monitor_graph']) {
      await sql
        .raw(
          `CREATE TRIGGER ${table}_monitor_notify AFTER INSERT OR UPDATE ON ${table}
           FOR EACH ROW EXECUTE FUNCTION monitor_notify_execution()`,
        )
        .execute(db);
    }
  },
  async down(db) {
    for (const table of ['execution', 'graph', 'monitor_graph']) {
      await sql.raw(`DROP TRIGGER ${table}_monitor_notify ON ${table}`).execute(db);
    }
    await sql`DROP FUNCTION monitor_notify_execution()`.execute(db);
    await sql`DROP INDEX execution_created_index, execution_user_created_index`.execute(db);
    await sql`DROP TABLE monitor_channel, monitor_graph`.execute(db);
  },
};
