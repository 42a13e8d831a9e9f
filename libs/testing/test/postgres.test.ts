import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../src/index.ts';
import { createTemplateDatabase, testDatabase, usePostgres } from '../src/index.ts';

async function queryOnce<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

const migrateWidgets = async (url: string): Promise<void> => {
  await queryOnce(url, `CREATE TABLE widget (id int PRIMARY KEY); INSERT INTO widget VALUES (7)`);
};

describe('startPostgres', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves queries as a superuser on 127.0.0.1 with the test settings', async () => {
    const rows = await queryOnce<{ fsync: string; max: string; su: boolean }>(
      cluster.adminUrl,
      `SELECT current_setting('fsync') AS fsync, current_setting('max_connections') AS max,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su`,
    );
    expect(cluster.host).toBe('127.0.0.1');
    expect(rows).toEqual([{ fsync: 'off', max: '300', su: true }]);
  });

  it('clones databases from a migrated template with its tables and rows', async () => {
    await createTemplateDatabase(cluster, 'tpl_widgets', migrateWidgets);
    await cluster.createDatabase('clone_a', { template: 'tpl_widgets' });
    await cluster.createDatabase('clone_b', { template: 'tpl_widgets' });
    await queryOnce(cluster.urlFor('clone_a'), 'INSERT INTO widget VALUES (8)');

    expect(await queryOnce(cluster.urlFor('clone_a'), 'SELECT id FROM widget ORDER BY id')).toEqual(
      [{ id: 7 }, { id: 8 }],
    );
    expect(await queryOnce(cluster.urlFor('clone_b'), 'SELECT id FROM widget')).toEqual([
      { id: 7 },
    ]);
  });

  it('migrates a template once even when asked concurrently', async () => {
    let runs = 0;
    const migrate = async (url: string): Promise<void> => {
      runs++;
      await migrateWidgets(url);
    };
    await Promise.all([1, 2, 3].map(() => createTemplateDatabase(cluster, 'tpl_once', migrate)));
    expect(runs).toBe(1);
  });

  it('builds no template when the migration fails, and a later call retries', async () => {
    const failing = (): Promise<void> => Promise.reject(new Error('bad migration'));
    await expect(createTemplateDatabase(cluster, 'tpl_retry', failing)).rejects.toThrow(
      'bad migration',
    );
    await createTemplateDatabase(cluster, 'tpl_retry', migrateWidgets);
    await cluster.createDatabase('clone_retry', { template: 'tpl_retry' });
    expect(await queryOnce(cluster.urlFor('clone_retry'), 'SELECT id FROM widget')).toEqual([
      { id: 7 },
    ]);
  });

  it('drops databases idempotently, even with open sessions', async () => {
    await cluster.createDatabase('to_drop');
    const session = new pg.Client({ connectionString: cluster.urlFor('to_drop') });
    await session.connect();
    session.on('error', () => undefined); // the drop terminates this session
    await cluster.dropDatabase('to_drop');
    await cluster.dropDatabase('to_drop');
    const rows = await queryOnce(
      cluster.adminUrl,
      `SELECT 1 FROM pg_database WHERE datname = 'to_drop'`,
    );
    expect(rows).toEqual([]);
    await session.end().catch(() => undefined);
  });
});

describe('fixtures on the run-wide cluster', () => {
  const db = usePostgres({ template: { name: 'tpl_fixture', migrate: migrateWidgets } });

  it('give the file its own database cloned from the template', async () => {
    expect(db.name).toMatch(/^postgres_[0-9a-f]{8}$/);
    expect(await queryOnce(db.url, 'SELECT id FROM widget')).toEqual([{ id: 7 }]);
  });

  it('make distinct databases for every call', async () => {
    const a = await testDatabase({ name: 'Some Title!' });
    const b = await testDatabase({ name: 'Some Title!' });
    try {
      expect(a.name).toMatch(/^some_title_[0-9a-f]{8}$/);
      expect(a.name).not.toBe(b.name);
      expect(await queryOnce(a.url, 'SELECT current_database() AS db')).toEqual([{ db: a.name }]);
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
