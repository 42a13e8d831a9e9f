import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

const ROLES_BEFORE = `'lzy.workflow.owner', 'lzy.whiteboard.owner', 'lzy.whiteboard.reader',
  'lzy.internal.user', 'lzy.internal.worker'`;

/** `lzy.admin` (the site's operators, issue 14) joins the closed list of bindable roles. */
export const adminRoleMigration: Migration = {
  async up(db) {
    await sql
      .raw(
        `ALTER TABLE access_binding DROP CONSTRAINT access_binding_role_check,
         ADD CONSTRAINT access_binding_role_check CHECK (role IN (${ROLES_BEFORE}, 'lzy.admin'))`,
      )
      .execute(db);
  },
  async down(db) {
    await sql`DELETE FROM access_binding WHERE role = 'lzy.admin'`.execute(db);
    await sql
      .raw(
        `ALTER TABLE access_binding DROP CONSTRAINT access_binding_role_check,
         ADD CONSTRAINT access_binding_role_check CHECK (role IN (${ROLES_BEFORE}))`,
      )
      .execute(db);
  },
};
