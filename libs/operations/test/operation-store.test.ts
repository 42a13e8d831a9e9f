import { FailedPrecondition, InvalidArgument, NotFound } from '@lzy/errors';
import { closeDatabase } from '@lzy/db';
import { usePostgres } from '@lzy/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationStore, requestHash } from '../src/index.ts';
import type { OperationDatabase } from '../src/index.ts';
import { openDatabase, operationTemplate, packed, systemClock, text } from './fixtures.ts';

const RESPONSE = 'ai.lzy.v1.test.Response';
const hashOf = (request: string) => requestHash(new TextEncoder().encode(request));

describe('OperationStore', () => {
  const pg = usePostgres({ template: operationTemplate });
  let db: Kysely<OperationDatabase>;
  let otherDb: Kysely<OperationDatabase>;
  let store: OperationStore;
  let otherInstance: OperationStore;
  beforeAll(() => {
    db = openDatabase(pg.url);
    otherDb = openDatabase(pg.url);
    store = new OperationStore({ db, clock: systemClock });
    otherInstance = new OperationStore({ db: otherDb, clock: systemClock });
  });
  afterAll(async () => {
    await closeDatabase(db);
    await closeDatabase(otherDb);
  });

  const newOp = (createdBy = 'user-1') => ({ description: 'test op', createdBy });

  it('creates an unfinished operation that get returns', async () => {
    const meta = packed('ai.lzy.v1.test.Meta', 'm');
    const { operation, created } = await store.create({ ...newOp(), meta });

    expect(created).toBe(true);
    const loaded = await store.get(operation.id);
    expect(loaded).toMatchObject({
      id: operation.id,
      createdBy: 'user-1',
      done: false,
      response: undefined,
    });
    expect(text(loaded.meta)).toBe('m');
  });

  it('fails get of an unknown id with NotFound', async () => {
    await expect(store.get('no-such-operation')).rejects.toBeInstanceOf(NotFound);
  });

  it('completes first-writer-wins: one of two concurrent completions wins and both see the winner', async () => {
    const { operation } = await store.create(newOp());

    const [a, b] = await Promise.all([
      store.complete(operation.id, packed(RESPONSE, 'from-a')),
      otherInstance.complete(operation.id, packed(RESPONSE, 'from-b')),
    ]);

    expect([a.completed, b.completed].filter(Boolean)).toHaveLength(1);
    const winner = a.completed ? 'from-a' : 'from-b';
    expect(text(a.operation.response)).toBe(winner);
    expect(text(b.operation.response)).toBe(winner);
    expect(text((await store.get(operation.id)).response)).toBe(winner);
  });

  it('never lets a failure overwrite a stored response, nor a response a failure', async () => {
    const { operation: ok } = await store.create(newOp());
    await store.complete(ok.id, packed(RESPONSE, 'done'));
    const late = await store.fail(ok.id, { code: 'INVALID_ARGUMENT', message: 'too late' });
    expect(late.completed).toBe(false);
    expect(late.operation).toMatchObject({ done: true, error: undefined });

    const { operation: failed } = await store.create(newOp());
    await store.cancel(failed.id, 'stop it');
    const after = await store.complete(failed.id, packed(RESPONSE, 'too late'));
    expect(after.completed).toBe(false);
    expect(after.operation).toMatchObject({
      response: undefined,
      error: { code: 'CANCELLED', message: 'stop it' },
    });
  });

  it('replays an idempotent request: same key and request give the same operation, created once', async () => {
    const key = { key: 'key-replay', requestHash: hashOf('request A') };

    const first = await store.create(newOp(), key);
    const again = await store.create(newOp(), key);

    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.operation.id).toBe(first.operation.id);
  });

  it('replays concurrent requests with the same key onto one operation', async () => {
    const key = { key: 'key-race', requestHash: hashOf('request R') };

    const results = await Promise.all([
      store.create(newOp(), key),
      otherInstance.create(newOp(), key),
    ]);

    expect(new Set(results.map((r) => r.operation.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('rejects a reused idempotency key with a different request', async () => {
    await store.create(newOp(), { key: 'key-conflict', requestHash: hashOf('request A') });

    const error = await store
      .create(newOp(), { key: 'key-conflict', requestHash: hashOf('request B') })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidArgument);
    expect((error as Error).message).toMatch(/^Idempotency key conflict: /);
  });

  it('scopes idempotency keys to the creating subject', async () => {
    const key = { key: 'shared-key', requestHash: hashOf('request A') };

    const mine = await store.create(newOp('user-1'), key);
    const theirs = await store.create(newOp('user-2'), {
      ...key,
      requestHash: hashOf('request B'),
    });

    expect(theirs.created).toBe(true);
    expect(theirs.operation.id).not.toBe(mine.operation.id);
  });

  it('updates metadata until the operation is done', async () => {
    const { operation } = await store.create(newOp());
    const updated = await store.updateMeta(
      operation.id,
      packed('ai.lzy.v1.test.Meta', 'progress 50%'),
    );
    expect(text(updated.meta)).toBe('progress 50%');

    await store.complete(operation.id, packed(RESPONSE, ''));
    await expect(
      store.updateMeta(operation.id, packed('ai.lzy.v1.test.Meta', 'x')),
    ).rejects.toBeInstanceOf(FailedPrecondition);
    await expect(store.updateMeta('no-such-operation', packed('t', 'x'))).rejects.toBeInstanceOf(
      NotFound,
    );
  });

  it('stores an empty response as present (FinishWorkflowResponse has no fields)', async () => {
    const { operation } = await store.create(newOp());
    await store.complete(operation.id, {
      typeName: 'ai.lzy.v1.workflow.FinishWorkflowResponse',
      value: new Uint8Array(),
    });

    const loaded = await store.get(operation.id);
    expect(loaded.response).toEqual({
      typeName: 'ai.lzy.v1.workflow.FinishWorkflowResponse',
      value: new Uint8Array(),
    });
  });

  it('lists only unfinished operations', async () => {
    const { operation: open } = await store.create(newOp('lister'));
    const { operation: closed } = await store.create(newOp('lister'));
    await store.complete(closed.id, packed(RESPONSE, ''));

    const ids = (await store.listUnfinished()).map((op) => op.id);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(closed.id);
  });
});
