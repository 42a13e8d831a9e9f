/**
 * @lzy/db — kysely over pg for every service (STYLE.md §2: pg error codes and serialization
 * retries live here). `createDatabase` maps every driver error to @lzy/errors, `withTransaction`
 * retries 40001/40P01, `migrateToLatest` applies in-code migrations at start-up, and
 * `NotificationListener` is the one LISTEN connection of a process, and
 * `startDatabaseInBackground` migrates (and runs a service's other database steps) at start-up,
 * retrying with backoff while PostgreSQL is unreachable, so a service never crash-loops on it.
 * With `metrics`, every statement is counted (`lzy_db_statements_total{service}`).
 */
export { createDatabase, closeDatabase } from './database.ts';
export type { DatabaseOptions, DatabaseConnectionOptions, DbLogger } from './database.ts';
export { migrateToLatest, MigrationError } from './migrate.ts';
export type { MigrateOptions } from './migrate.ts';
export type { Migration } from 'kysely/migration';
export { withTransaction } from './transaction.ts';
export type { IsolationLevel, TransactionOptions } from './transaction.ts';
export { mapPgError, pgErrorInfo, pgCause, isRetryableConflict } from './pg-errors.ts';
export type { PgErrorInfo } from './pg-errors.ts';
export { NotificationListener } from './notification-listener.ts';
export type { NotificationListenerOptions } from './notification-listener.ts';
export { startDatabaseInBackground, isUnavailableCause } from './database-startup.ts';
export type {
  DatabaseStartup,
  DatabaseStartupOptions,
  StartupLogger,
  StartupStep,
} from './database-startup.ts';
