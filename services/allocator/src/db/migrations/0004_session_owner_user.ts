import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * The user a session's VMs work for (issue 13 item 4): recorded in iam as the owner of each VM's
 * subject, so services refuse a VM another user's channels, slots and std streams. '' for
 * sessions created before (their VMs pass no owner check).
 */
export const sessionOwnerUser: Migration = {
  async up(db) {
    await sql`ALTER TABLE session ADD COLUMN owner_user_id text NOT NULL DEFAULT ''`.execute(db);
  },
  async down(db) {
    await sql`ALTER TABLE session DROP COLUMN owner_user_id`.execute(db);
  },
};
