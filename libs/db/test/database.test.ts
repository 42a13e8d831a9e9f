import {
  AlreadyExists,
  Aborted,
  FailedPrecondition,
  InvalidArgument,
  Unavailable,
} from '@lzy/errors';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, usePostgres } from '@lzy/testing';
import { closeDatabase, createDatabase, migrateToLatest, withTransaction } from '../src/index.ts';
import type { Migration } from '../src/index.ts';

interface Db {
  counter: { id: string; value: number };
  part: { id: string; counter_id: string };
}

const migrations: Record<string, Migration> = {
  '0001_counter': {
    async up(db) {
      await sql`CREATE TABLE counter (id text PRIMARY KEY, value integer NOT NULL CHECK (value >= 0))`.execute(
        db,
      );
      await sql`CREATE TABLE part (id text PRIMARY KEY, counter_id text NOT NULL REFERENCES counter(id))`.execute(
        db,
      );
    },
  },
};

/** Resolves once `parties` callers have arrived. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === parties) open();
    return opened;
  };
}

describe('createDatabase', () => {
  const pg = usePostgres();
  let db: Kysely<Db>;
  beforeAll(async () => {
    db = createDatabase<Db>({ url: pg.url, applicationName: 'db-test' });
    await migrateToLatest(db, migrations);
  });
  afterAll(() => closeDatabase(db));

  it('turns a unique violation into AlreadyExists naming the constraint', async () => {
    await db.insertInto('counter').values({ id: 'dup', value: 0 }).execute();

    const error = await db
      .insertInto('counter')
      .values({ id: 'dup', value: 0 })
      .execute()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlreadyExists);
    expect((error as Error).message).toContain('counter_pkey');
  });

  it('turns foreign key, check and format violations into domain errors', async () => {
    await expect(
      db.insertInto('part').values({ id: 'p', counter_id: 'missing' }).execute(),
    ).rejects.toBeInstanceOf(FailedPrecondition);
    await expect(
      db.insertInto('counter').values({ id: 'neg', value: -1 }).execute(),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(sql`SELECT 'x'::integer`.execute(db)).rejects.toBeInstanceOf(InvalidArgument);
  });

  it('reports an unreachable database as Unavailable', async () => {
    const port = await freePort(); // nothing listens there
    const nowhere = createDatabase({ host: '127.0.0.1', port, user: 'postgres', database: 'x' });
    try {
      await expect(sql`SELECT 1`.execute(nowhere)).rejects.toBeInstanceOf(Unavailable);
    } finally {
      await closeDatabase(nowhere);
    }
  });

  it('retries a serialization conflict so that both concurrent increments land', async () => {
    await db.insertInto('counter').values({ id: 'hot', value: 0 }).execute();
    const bothRead = barrier(2);
    let attempts = 0;
    const increment = () => {
      let first = true;
      return withTransaction(
        db,
        async (trx) => {
          attempts++;
          const { value } = await trx
            .selectFrom('counter')
            .select('value')
            .where('id', '=', 'hot')
            .executeTakeFirstOrThrow();
          if (first) {
            first = false;
            await bothRead(); // both snapshots taken: one of the updates must conflict
          }
          await trx
            .updateTable('counter')
            .set({ value: value + 1 })
            .where('id', '=', 'hot')
            .execute();
        },
        { isolation: 'serializable' },
      );
    };

    await Promise.all([increment(), increment()]);

    const row = await db
      .selectFrom('counter')
      .select('value')
      .where('id', '=', 'hot')
      .executeTakeFirstOrThrow();
    expect(row.value).toBe(2);
    expect(attempts).toBeGreaterThanOrEqual(3);
  });

  it('gives up with Aborted when the conflict persists past maxRetries', async () => {
    await db.insertInto('counter').values({ id: 'stuck', value: 0 }).execute();
    let attempts = 0;

    const error = await withTransaction(
      db,
      () => {
        attempts++;
        // What pg raises for SQLSTATE 40001; a real one is forced in the test above.
        return Promise.reject(
          Object.assign(new Error('could not serialize access'), { code: '40001' }),
        );
      },
      { maxRetries: 2 },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Aborted);
    expect(attempts).toBe(3);
  });

  it('rolls back and rethrows other errors without retrying', async () => {
    let attempts = 0;
    const error = await withTransaction(db, async (trx) => {
      attempts++;
      await trx.insertInto('counter').values({ id: 'rolled-back', value: 1 }).execute();
      throw new InvalidArgument('nope');
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidArgument);
    expect(attempts).toBe(1);
    expect(
      await db.selectFrom('counter').where('id', '=', 'rolled-back').selectAll().execute(),
    ).toEqual([]);
  });
});

describe('statement counter', () => {
  const pg = usePostgres();

  async function statements(registry: Registry, service: string): Promise<number> {
    const metric = await registry.getSingleMetric('lzy_db_statements_total')?.get();
    return metric?.values.find((v) => v.labels.service === service)?.value ?? 0;
  }

  it('counts every statement the pool runs, BEGIN and COMMIT included, by service', async () => {
    const registry = new Registry();
    const db = createDatabase<Db>({ url: pg.url, metrics: { registry, service: 'a' } });
    const other = createDatabase<Db>({ url: pg.url, metrics: { registry, service: 'b' } });
    try {
      await migrateToLatest(db, migrations);
      const afterMigrations = await statements(registry, 'a');
      expect(afterMigrations).toBeGreaterThan(0);

      await db.insertInto('counter').values({ id: 'c1', value: 1 }).execute();
      await withTransaction(db, async (trx) => {
        await trx.selectFrom('counter').selectAll().execute();
        await trx.updateTable('counter').set({ value: 2 }).where('id', '=', 'c1').execute();
      });
      // 1 INSERT; then BEGIN (with its isolation level), SELECT, UPDATE, COMMIT.
      expect((await statements(registry, 'a')) - afterMigrations).toBe(5);
      await expect(sql`SELECT 'x'::integer`.execute(db)).rejects.toBeInstanceOf(InvalidArgument);
      expect((await statements(registry, 'a')) - afterMigrations).toBe(6); // failed ones too
      await sql`SELECT 1`.execute(other);
      expect(await statements(registry, 'b')).toBe(1);
    } finally {
      await closeDatabase(db);
      await closeDatabase(other);
    }
  });
});
