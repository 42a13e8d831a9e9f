import type { Migration } from '@lzy/db';
import { graphMigration } from './0001_graph.ts';
import { submittedGraphsMigration } from './0002_submitted_graphs.ts';
import { retryOnFailureMigration } from './0003_retry_on_failure.ts';

/** Every migration of the service, in order (run by migrateToLatest at start). */
export const graphExecutorMigrations: Readonly<Record<string, Migration>> = {
  '0001_graph': graphMigration,
  '0002_submitted_graphs': submittedGraphsMigration,
  '0003_retry_on_failure': retryOnFailureMigration,
};
