import { basename } from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { PostgresAdmin } from './postgres-admin.ts';
import { createTemplateDatabase, type Migrate } from './postgres-template.ts';
import type {} from './provided-context.ts';
import { uniqueName } from './test-names.ts';

/** A service's migrations, applied once per run into template database `name`. */
export interface TemplateSpec {
  readonly name: string;
  readonly migrate: Migrate;
}

/** A database made for one test file. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops it, disconnecting open sessions. Idempotent. */
  drop(): Promise<void>;
}

/** Admin access to the run's PostgreSQL cluster (started by global-setup.ts). */
export function testPostgres(): PostgresAdmin {
  return new PostgresAdmin(inject('postgres'));
}

/**
 * Creates a fresh database on the run's cluster, named after `name` or the test file. With a
 * template it is a clone of the migrated template (built on first use, once per run). The
 * caller drops it; {@link usePostgres} does that for you.
 */
export async function testDatabase(
  opts: { name?: string; template?: TemplateSpec } = {},
): Promise<TestDatabase> {
  const admin = testPostgres();
  const template = opts.template
    ? await createTemplateDatabase(admin, opts.template.name, opts.template.migrate)
    : undefined;
  const title = opts.name ?? basename(expect.getState().testPath ?? 'db', '.test.ts');
  const name = uniqueName(title, '_', 63);
  await admin.createDatabase(name, template === undefined ? {} : { template });
  return { name, url: admin.urlFor(name), drop: () => admin.dropDatabase(name) };
}

/**
 * Gives the calling test file its own database: created in `beforeAll` (from `template` if
 * given), dropped in `afterAll`. Call at the top level of the file; read `.url` inside tests.
 */
export function usePostgres(opts: { template?: TemplateSpec } = {}): {
  readonly name: string;
  readonly url: string;
} {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await testDatabase(opts);
  });
  afterAll(async () => {
    await db?.drop();
  });
  const current = (): TestDatabase => {
    if (!db) throw new Error('usePostgres(): the database exists only inside tests and hooks');
    return db;
  };
  return {
    get name() {
      return current().name;
    },
    get url() {
      return current().url;
    },
  };
}
