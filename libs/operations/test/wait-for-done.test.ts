import { closeDatabase, createDatabase, NotificationListener } from '@lzy/db';
import { NotFound } from '@lzy/errors';
import { usePostgres } from '@lzy/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationStore } from '../src/index.ts';
import type { OperationDatabase } from '../src/index.ts';
import { openDatabase, operationTemplate, packed, systemClock, text } from './fixtures.ts';

const RESPONSE = 'ai.lzy.v1.test.Response';

describe('OperationStore.waitForDone', () => {
  const pg = usePostgres({ template: operationTemplate });
  let db: Kysely<OperationDatabase>;
  let store: OperationStore;
  let listener: NotificationListener;
  let stopListening: () => void;
  // A second instance of the same service: own pool, own store, no shared memory.
  let otherDb: Kysely<OperationDatabase>;
  let otherInstance: OperationStore;
  beforeAll(async () => {
    db = createDatabase<OperationDatabase>({ url: pg.url, poolMax: 1 });
    store = new OperationStore({ db, clock: systemClock });
    listener = new NotificationListener({ connection: { url: pg.url } });
    await listener.start();
    stopListening = await store.listenForCompletions(listener);
    otherDb = openDatabase(pg.url);
    otherInstance = new OperationStore({ db: otherDb, clock: systemClock });
  });
  afterAll(async () => {
    stopListening();
    await listener.stop();
    await closeDatabase(db);
    await closeDatabase(otherDb);
  });

  /**
   * Starts a waiter and returns once it has read the row and parked, so the completion that
   * follows must wake it. `db` has one connection: our own read queues behind the waiter's.
   */
  async function parkedWaiter(id: string, signal?: AbortSignal) {
    let settled = false;
    const waiting = store.waitForDone(id, signal).finally(() => (settled = true));
    waiting.catch(() => undefined); // asserted by the caller
    await store.get(id);
    expect(settled).toBe(false);
    return { waiting };
  }

  it('resolves at once for an operation that is already done', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'u' });
    await store.complete(operation.id, packed(RESPONSE, 'early'));

    expect(text((await store.waitForDone(operation.id)).response)).toBe('early');
  });

  it('is woken by a completion in the same process', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'u' });
    const { waiting } = await parkedWaiter(operation.id);

    await store.complete(operation.id, packed(RESPONSE, 'local'));

    expect(text((await waiting).response)).toBe('local');
  });

  it('is woken by a completion made through another instance (LISTEN/NOTIFY)', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'u' });
    const { waiting } = await parkedWaiter(operation.id);

    await otherInstance.fail(operation.id, { code: 'UNAVAILABLE', message: 'remote failure' });

    const done = await waiting;
    expect(done.error).toEqual({ code: 'UNAVAILABLE', message: 'remote failure' });
  });

  it('is woken by a completion inside another instance’s own transaction, after its commit', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'u' });
    const { waiting } = await parkedWaiter(operation.id);

    await otherDb.transaction().execute(async (trx) => {
      await otherInstance.complete(operation.id, packed(RESPONSE, 'in trx'), trx);
    });

    expect(text((await waiting).response)).toBe('in trx');
  });

  it('rejects with the abort reason when the signal aborts first', async () => {
    const { operation } = await store.create({ description: 'd', createdBy: 'u' });
    const abort = new AbortController();
    const { waiting } = await parkedWaiter(operation.id, abort.signal);

    abort.abort(new Error('caller gave up'));

    await expect(waiting).rejects.toThrow('caller gave up');
  });

  it('fails with NotFound for an unknown operation', async () => {
    await expect(store.waitForDone('no-such-operation')).rejects.toBeInstanceOf(NotFound);
  });
});
