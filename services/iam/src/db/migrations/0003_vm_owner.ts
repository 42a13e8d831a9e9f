import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * The user a VM subject works for (issue 13 item 4), recorded by the allocator through
 * VmOwnerService.SetVmOwner and answered with the subject by InternalAuthenticateService, so the
 * services refuse a VM anything of another user. NULL: no recorded owner (users, the internal
 * identity, VMs created before this migration).
 */
export const vmOwnerMigration: Migration = {
  async up(db) {
    await sql`ALTER TABLE subject ADD COLUMN owner_user_id text`.execute(db);
  },
  async down(db) {
    await sql`ALTER TABLE subject DROP COLUMN owner_user_id`.execute(db);
  },
};
