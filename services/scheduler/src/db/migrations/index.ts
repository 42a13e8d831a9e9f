import type { Migration } from '@lzy/db';
import { taskMigration } from './0001_task.ts';

/** Every migration of the scheduler database, applied in name order at start-up. */
export const schedulerMigrations: Readonly<Record<string, Migration>> = {
  '0001_task': taskMigration,
};
