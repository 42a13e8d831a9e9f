import type { Migration } from '@lzy/db';
import { operationTableMigration } from '@lzy/operations';
import { workflowsMigration } from './0002_workflows.ts';
import { monitorMigration } from './0003_monitor.ts';
import { executionActivityMigration } from './0004_execution_activity.ts';

/** Every migration of lzy-service, applied in name order at start-up. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_operation': operationTableMigration,
  '0002_workflows': workflowsMigration,
  '0003_monitor': monitorMigration,
  '0004_execution_activity': executionActivityMigration,
};
