import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/** Issue 12: a task may ask to be run again after its op's own non-zero exit, too. */
export const retryOnFailureMigration: Migration = {
  async up(db) {
    await sql`ALTER TABLE task ADD COLUMN retry_on_failure boolean NOT NULL DEFAULT false`.execute(
      db,
    );
  },
};
