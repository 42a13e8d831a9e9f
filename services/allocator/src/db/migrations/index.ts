import type { Migration } from '@lzy/db';
import { operation } from './0001_operation.ts';
import { sessionVm } from './0002_session_vm.ts';
import { queuedVms } from './0003_queued_vms.ts';
import { sessionOwnerUser } from './0004_session_owner_user.ts';

/** Every migration of the allocator database, applied in name order at start. */
export const allocatorMigrations: Readonly<Record<string, Migration>> = {
  '0001_operation': operation,
  '0002_session_vm': sessionVm,
  '0003_queued_vms': queuedVms,
  '0004_session_owner_user': sessionOwnerUser,
};
