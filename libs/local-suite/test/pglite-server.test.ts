import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@lzy/logging';
import { CleanupStack } from '@lzy/testing';
import { startPgliteServer } from '../src/pglite-server.ts';
import type { PgliteServer } from '../src/pglite-server.ts';

/**
 * The PGlite bridge as pg pools see it: many connections multiplexed onto PGlite's one backend
 * without mixing their statements, transactions or notifications.
 */

const log = createLogger({ service: 'pglite-test', level: 'silent' });
const cleanup = new CleanupStack();
let dir: string;
let server: PgliteServer;

async function start(): Promise<PgliteServer> {
  return startPgliteServer({
    dataDir: join(dir, 'pglite'),
    host: '127.0.0.1',
    port: 0,
    idleInTransactionTimeoutMs: 2_000,
    log,
  });
}

function pool(database: string, max = 10): pg.Pool {
  const p = new pg.Pool({ connectionString: server.urlFor(database), max });
  // The restart test drops every idle connection; the next query would open a new one.
  p.on('error', () => undefined);
  cleanup.defer(() => p.end().catch(() => undefined));
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lzy-pglite-'));
  server = await start();
});

afterAll(async () => {
  await cleanup.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the PGlite bridge', () => {
  it('answers 300 concurrent parameterised queries from 10 connections each with its own values', async () => {
    const p = pool('concurrent');
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        p.query<{ n: number; s: string }>('SELECT $1::int AS n, $2::text AS s', [i, `v${i}`]),
      ),
    );
    expect(answers.map((a) => a.rows[0])).toEqual(
      Array.from({ length: 300 }, (_, i) => ({ n: i, s: `v${i}` })),
    );
  });

  it('keeps another connection out of an open transaction until it commits', async () => {
    const p = pool('isolation');
    await p.query('CREATE TABLE item (id int PRIMARY KEY)');
    const writer = await p.connect();
    try {
      await writer.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await writer.query('INSERT INTO item VALUES ($1)', [1]);
      let readerDone = false;
      const reader = p.query<{ count: string }>('SELECT count(*) FROM item').then((r) => {
        readerDone = true;
        return r.rows[0]!.count;
      });
      // The writer's next statement runs while the reader still waits for the transaction.
      await writer.query('INSERT INTO item VALUES ($1)', [2]);
      expect(readerDone).toBe(false);
      await writer.query('COMMIT');
      expect(await reader).toBe('2');
    } finally {
      writer.release();
    }
  });

  it('keeps each database name in a schema of its own', async () => {
    const a = pool('schema_a');
    const b = pool('schema_b');
    await a.query('CREATE TABLE thing (name text)');
    await b.query('CREATE TABLE thing (name text)');
    await Promise.all([
      a.query("INSERT INTO thing VALUES ('in a')"),
      b.query("INSERT INTO thing VALUES ('in b')"),
    ]);
    expect((await a.query('SELECT name FROM thing')).rows).toEqual([{ name: 'in a' }]);
    expect((await b.query('SELECT name FROM thing')).rows).toEqual([{ name: 'in b' }]);
  });

  it('delivers a committed NOTIFY to the listeners of that database only', async () => {
    const listen = async (database: string) => {
      const client = new pg.Client({ connectionString: server.urlFor(database) });
      await client.connect();
      cleanup.defer(() => client.end().catch(() => undefined));
      const payloads: string[] = [];
      client.on('notification', (n) => payloads.push(n.payload ?? ''));
      await client.query('LISTEN "vm_changed"');
      return payloads;
    };
    const same = await listen('notify_a');
    const other = await listen('notify_b');
    const p = pool('notify_a');
    const sender = await p.connect();
    try {
      await sender.query('BEGIN');
      await sender.query("SELECT pg_notify('vm_changed', 'vm-1')");
      expect(same).toEqual([]); // not before the commit
      await sender.query('COMMIT');
    } finally {
      sender.release();
    }
    await expect.poll(() => same).toEqual(['vm-1']);
    // A query on the other database's listener runs after the NOTIFY: had it been routed
    // there, it would have arrived first.
    await pool('notify_b').query('SELECT 1');
    expect(other).toEqual([]);
  });

  it('rolls back the open transaction of a connection that closes', async () => {
    const p = pool('closing');
    await p.query('CREATE TABLE item (id int)');
    const client = new pg.Client({ connectionString: server.urlFor('closing') });
    await client.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO item VALUES (1)');
    await client.end();
    expect((await p.query('SELECT count(*) AS n FROM item')).rows).toEqual([{ n: '0' }]);
  });

  it('closes a connection idle in a transaction that others wait for', async () => {
    const p = pool('idle_tx');
    const stuck = new pg.Client({ connectionString: server.urlFor('idle_tx') });
    await stuck.connect();
    const stuckError = new Promise<Error>((resolve) => stuck.on('error', resolve));
    await stuck.query('BEGIN');
    expect((await p.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect((await stuckError).message).toMatch(/idle-in-transaction timeout/);
  });

  it('keeps the data across a restart on the same directory', async () => {
    const p = pool('durable');
    await p.query('CREATE TABLE kept (v text)');
    await p.query("INSERT INTO kept VALUES ('still here')");
    await cleanup.close(); // every pool and client of the earlier tests
    await server.stop();
    server = await start();
    const again = pool('durable');
    expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
  });
});
