import type { Migration } from '@lzy/db';
import { initMigration } from './0001_init.ts';
import { adminRoleMigration } from './0002_admin_role.ts';
import { vmOwnerMigration } from './0003_vm_owner.ts';

/** Every migration of iam's database, applied in name order at start-up. */
export const iamMigrations: Readonly<Record<string, Migration>> = {
  '0001_init': initMigration,
  '0002_admin_role': adminRoleMigration,
  '0003_vm_owner': vmOwnerMigration,
};
