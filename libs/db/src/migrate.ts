import { Migrator } from 'kysely/migration';
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

export interface MigrateOptions {
  /**
   * Table recording applied migrations; its lock table is `<schemaTable>_lock`. Default
   * `kysely_migration`. Give a library its own table to version it apart from the service.
   */
  readonly schemaTable?: string;
}

/** Thrown when a migration (or the migrator itself) fails; names the failing migration. */
export class MigrationError extends Error {
  readonly migrationName: string | undefined;
  constructor(migrationName: string | undefined, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      migrationName === undefined
        ? `Database migration failed before any migration ran: ${detail}`
        : `Database migration ${migrationName} failed: ${detail}`,
      { cause },
    );
    this.name = 'MigrationError';
    this.migrationName = migrationName;
  }
}

/**
 * Applies, in name order, every migration of `migrations` not yet recorded in the database.
 * Services keep migrations in code (src/db/migrations/NNNN_what.ts) and pass them as one object,
 * so they ship with the service; run this at start-up, before serving.
 *
 * Idempotent. Safe when several instances start at once: kysely's PostgreSQL adapter takes a
 * session advisory lock (`pg_advisory_lock`) around reading the applied list and running the
 * pending migrations, all in one transaction, so a second instance waits and then finds nothing
 * to do. Fails (MigrationError) if the database has applied a migration missing from
 * `migrations`, or if a new one sorts before an applied one.
 *
 * @returns names of the migrations applied by this call.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>>,
  options: MigrateOptions = {},
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...migrations }) };
  const migrator = new Migrator({
    db,
    provider,
    ...(options.schemaTable === undefined
      ? {}
      : {
          migrationTableName: options.schemaTable,
          migrationLockTableName: `${options.schemaTable}_lock`,
        }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(failed, error);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
