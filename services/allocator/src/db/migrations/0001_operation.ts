import { operationTableMigration } from '@lzy/operations';

/** The long-running operation table of @lzy/operations (Allocate, CreateSession operations). */
export const operation = operationTableMigration;
