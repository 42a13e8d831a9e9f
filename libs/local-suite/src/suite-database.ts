import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from '@lzy/logging';
import { startPostgres } from '@lzy/testing';
import { stopOrphanedPostgres } from './orphaned-postgres.ts';
import { startPgliteServer } from './pglite-server.ts';
import { SUITE_SERVICES, databaseNameOf } from './suite-env.ts';
import type { SuiteService } from './suite-env.ts';

/** Which database `lzy up` runs: `auto` = PostgreSQL when its server binaries are found. */
export type SuiteDatabaseKind = 'auto' | 'postgres' | 'pglite';

export interface SuiteDatabaseOptions {
  kind: SuiteDatabaseKind;
  /** PostgreSQL cluster directory. */
  postgresDir: string;
  /** PGlite data directory. */
  pgliteDir: string;
  host: string;
  /** The PATH to look for initdb/postgres in (after Debian's /usr/lib/postgresql/N/bin). */
  searchPath: string;
  log: Logger;
}

export interface SuiteDatabase {
  kind: 'postgres' | 'pglite';
  /** postgres:// URL of one service's database (PGlite: its schema, see startPgliteServer). */
  dbUrlFor(service: SuiteService): string;
  stop(): Promise<void>;
}

/**
 * Starts the suite's database: a PostgreSQL cluster with a database per service when the server
 * binaries are on the machine, else PGlite (the embedded default on a machine with only Node)
 * with a schema per service. Both keep their data across restarts, a crash of the suite included
 * (a PostgreSQL the killed suite left running is stopped first, see stopOrphanedPostgres).
 * @throws Error when `kind` is 'postgres' and no server binaries are found.
 */
export async function startSuiteDatabase(options: SuiteDatabaseOptions): Promise<SuiteDatabase> {
  const binDir =
    options.kind === 'pglite' ? undefined : await findPostgresBinDir(options.searchPath);
  if (options.kind === 'postgres' && binDir === undefined) {
    throw new Error(
      'LZY_UP_DATABASE=postgres, but no PostgreSQL server binaries (initdb, postgres) were found ' +
        'in /usr/lib/postgresql/*/bin or on PATH; install them or use LZY_UP_DATABASE=auto',
    );
  }
  if (binDir === undefined) {
    const server = await startPgliteServer({
      dataDir: options.pgliteDir,
      host: options.host,
      port: 0,
      log: options.log.child({ component: 'pglite' }),
    });
    return {
      kind: 'pglite',
      dbUrlFor: (service) => server.urlFor(databaseNameOf(service)),
      stop: () => server.stop(),
    };
  }
  // startPostgres keeps the cluster in <dir>/data; a killed suite's postmaster may still hold it.
  await stopOrphanedPostgres(join(options.postgresDir, 'data'), options.log);
  const pg = await startPostgres({ dir: options.postgresDir, binDir });
  try {
    const existing = await pg.query<{ datname: string }>('SELECT datname FROM pg_database');
    const names = new Set(existing.rows.map((row) => row.datname));
    for (const service of SUITE_SERVICES) {
      if (!names.has(databaseNameOf(service))) await pg.createDatabase(databaseNameOf(service));
    }
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return {
    kind: 'postgres',
    dbUrlFor: (service) => pg.urlFor(databaseNameOf(service)),
    stop: () => pg.stop(),
  };
}

/**
 * The directory holding both `initdb` and `postgres`: the newest /usr/lib/postgresql/N/bin
 * (Debian keeps them off PATH), else the first PATH entry with both.
 */
export async function findPostgresBinDir(searchPath: string): Promise<string | undefined> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const debian = versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join('/usr/lib/postgresql', v, 'bin'));
  const onPath = searchPath.split(delimiter).filter((dir) => dir !== '');
  for (const dir of [...debian, ...onPath]) {
    if ((await isExecutable(join(dir, 'initdb'))) && (await isExecutable(join(dir, 'postgres')))) {
      return dir;
    }
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
