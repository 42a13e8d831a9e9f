import type { Migration } from '@lzy/db';
import { taskMigration } from './0001_task.ts';
import { warmDispatchMigration } from './0002_warm_dispatch.ts';
import { retryOnFailureMigration } from './0003_retry_on_failure.ts';

/** Every migration of the scheduler database, applied in name order at start-up. */
export const schedulerMigrations: Readonly<Record<string, Migration>> = {
  '0001_task': taskMigration,
  '0002_warm_dispatch': warmDispatchMigration,
  '0003_retry_on_failure': retryOnFailureMigration,
};
