import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { CleanupStack, testDatabase } from '@lzy/testing';
import { closeDatabase, createDatabase, migrateToLatest, MigrationError } from '../src/index.ts';
import type { Migration } from '../src/index.ts';

interface Db {
  widget: { id: string; size: number };
}

const migrations: Record<string, Migration> = {
  '0001_widget': {
    async up(db) {
      await db.schema
        .createTable('widget')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .execute();
    },
  },
  '0002_widget_size': {
    async up(db) {
      await db.schema.alterTable('widget').addColumn('size', 'integer').execute();
    },
  },
};

describe('migrateToLatest', () => {
  const stack = new CleanupStack();
  afterEach(() => stack.close());

  async function freshDatabase(): Promise<{ url: string; open: () => Kysely<Db> }> {
    const database = await testDatabase();
    stack.defer(() => database.drop());
    return {
      url: database.url,
      open: () => {
        const db = createDatabase<Db>({ url: database.url, poolMax: 2 });
        stack.defer(() => closeDatabase(db));
        return db;
      },
    };
  }

  it('applies every migration once, and nothing on a second run', async () => {
    const { open } = await freshDatabase();
    const db = open();

    expect(await migrateToLatest(db, migrations)).toEqual(['0001_widget', '0002_widget_size']);
    expect(await migrateToLatest(db, migrations)).toEqual([]);

    await db.insertInto('widget').values({ id: 'a', size: 3 }).execute();
    expect(await db.selectFrom('widget').selectAll().execute()).toEqual([{ id: 'a', size: 3 }]);
  });

  it('lets two instances migrate at once: both succeed and each migration runs once', async () => {
    const { open } = await freshDatabase();
    let runs = 0;
    const counted: Record<string, Migration> = {
      ...migrations,
      '0003_slow': {
        async up(db) {
          runs++;
          await sql`SELECT pg_sleep(0.2)`.execute(db); // widen the overlap window
        },
      },
    };

    const [first, second] = await Promise.all([
      migrateToLatest(open(), counted),
      migrateToLatest(open(), counted),
    ]);

    expect([...first, ...second].sort()).toEqual(['0001_widget', '0002_widget_size', '0003_slow']);
    expect(runs).toBe(1);
  });

  it('names the failing migration and applies nothing of that run', async () => {
    const { open } = await freshDatabase();
    const db = open();
    const broken: Record<string, Migration> = {
      ...migrations,
      '0003_broken': {
        async up(trx) {
          await sql`SELECT no_such_column FROM widget`.execute(trx);
        },
      },
    };

    const error = await migrateToLatest(db, broken).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migrationName).toBe('0003_broken');
    expect((error as Error).message).toMatch(/0003_broken failed: .*no_such_column/);
    // The whole run is one transaction, so 0001 and 0002 were rolled back too.
    expect(await migrateToLatest(db, migrations)).toEqual(['0001_widget', '0002_widget_size']);
  });

  it('keeps separate histories per schemaTable', async () => {
    const { open } = await freshDatabase();
    const db = open();
    await migrateToLatest(db, migrations);
    const library: Record<string, Migration> = {
      '0001_gadget': {
        async up(trx) {
          await sql`CREATE TABLE gadget (id text)`.execute(trx);
        },
      },
    };

    expect(await migrateToLatest(db, library, { schemaTable: 'gadget_migration' })).toEqual([
      '0001_gadget',
    ]);
    expect(await migrateToLatest(db, migrations)).toEqual([]);
  });
});
