import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Warm dispatch (issue 11): a graph goes to the scheduler whole (`submitted`), each task with
 * its needs and attempts; task statuses live in the scheduler (one row per task there) and are
 * no longer copied here status by status.
 */
export const submittedGraphsMigration: Migration = {
  async up(db) {
    await sql`ALTER TABLE graph ADD COLUMN submitted boolean NOT NULL DEFAULT false`.execute(db);
    await sql`
      ALTER TABLE graph_task
        DROP COLUMN scheduled,
        DROP COLUMN state,
        DROP COLUMN status,
        ADD COLUMN needs_cpu double precision,
        ADD COLUMN needs_gpu integer,
        ADD COLUMN needs_ram_gb double precision,
        ADD COLUMN max_attempts integer NOT NULL DEFAULT 0`.execute(db);
  },
};
