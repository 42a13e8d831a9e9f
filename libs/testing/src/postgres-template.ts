import pg from 'pg';
import { pollUntil } from './poll-until.ts';
import type { PostgresAdmin } from './postgres-admin.ts';

/** Applies a service's migrations to the database at `url`; must close its connections. */
export type Migrate = (url: string) => Promise<void>;

/**
 * Makes sure template database `name` exists, running `migrate` into it exactly once per cluster
 * even when several test files (processes) ask at the same time: a session advisory lock
 * serializes them, and the template only appears under `name` once fully migrated (it is built
 * as `<name>_build` and renamed). Clone it per test file with `createDatabase(db, { template })`.
 * Afterwards the template refuses connections, so clones never fail on a lingering session.
 * Returns `name`. Rejects with `migrate`'s error (and builds nothing) when the migration fails.
 */
export async function createTemplateDatabase(
  admin: PostgresAdmin,
  name: string,
  migrate: Migrate,
): Promise<string> {
  const building = `${name}_build`;
  await admin.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`lzy-template:${name}`]);
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount !== 0) return;
      await admin.dropDatabase(building); // left over from a migration that failed earlier
      await admin.createDatabase(building);
      await migrate(admin.urlFor(building));
      const quoted = pg.escapeIdentifier(building);
      await client.query(`ALTER DATABASE ${quoted} WITH ALLOW_CONNECTIONS false`);
      await disconnectAll(client, building);
      await client.query(`ALTER DATABASE ${quoted} RENAME TO ${pg.escapeIdentifier(name)}`);
      await client.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} WITH IS_TEMPLATE true`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`lzy-template:${name}`]);
    }
  });
  return name;
}

/** Terminates sessions on `database` and waits until they are gone (termination is async). */
async function disconnectAll(client: pg.Client, database: string): Promise<void> {
  await pollUntil(
    async () => {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      return rows[0]?.n === 0 ? true : undefined;
    },
    { timeoutMs: 10_000, description: `no sessions on database ${database}` },
  );
}
