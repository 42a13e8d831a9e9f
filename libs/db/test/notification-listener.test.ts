import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { usePostgres } from '@lzy/testing';
import type { Kysely } from 'kysely';
import { closeDatabase, createDatabase, NotificationListener } from '../src/index.ts';

describe('NotificationListener', () => {
  const pg = usePostgres();
  let db: Kysely<unknown>;
  beforeAll(() => {
    db = createDatabase({ url: pg.url });
  });
  afterAll(() => closeDatabase(db));

  const notify = (channel: string, payload: string) =>
    sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);

  it('delivers notifications sent from another connection, per channel', async () => {
    const listener = new NotificationListener({ connection: { url: pg.url } });
    const received: string[] = [];
    await listener.listen('Mixed Case', (p) => received.push(`a:${p}`));
    await listener.start();
    try {
      await listener.listen('other', (p) => received.push(`b:${p}`));
      await notify('Mixed Case', '1');
      await notify('other', '2');
      await vi.waitFor(() => expect(received.sort()).toEqual(['a:1', 'b:2']), { timeout: 10_000 });
    } finally {
      await listener.stop();
    }
  });

  it('reconnects after losing its session, tells onReconnect, and keeps listening', async () => {
    const listener = new NotificationListener({
      connection: { url: pg.url, applicationName: 'listener-under-test' },
      reconnectDelayMs: 10,
    });
    const received: string[] = [];
    let reconnects = 0;
    listener.onReconnect(() => reconnects++);
    await listener.listen('events', (p) => received.push(p));
    await listener.start();
    try {
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'listener-under-test'`.execute(
        db,
      );
      await vi.waitFor(() => expect(reconnects).toBe(1), { timeout: 10_000 });
      await notify('events', 'after');
      await vi.waitFor(() => expect(received).toEqual(['after']), { timeout: 10_000 });
    } finally {
      await listener.stop();
    }
  });
});
