import { describe, expect, it } from 'vitest';
import { NotFound } from '@lzy/errors';
import { InMemoryOperations } from './in-memory-operations.ts';
import type { Operation } from './operation.ts';

const response = { typeName: 'test.Response', value: new Uint8Array([1]) };

function operations() {
  let now = 1_000;
  const ops = new InMemoryOperations({ clock: { now: () => now } });
  return { ops, advance: (ms: number) => (now += ms) };
}

describe('InMemoryOperations', () => {
  it('creates an unfinished operation of its creator', () => {
    const { ops } = operations();
    const op = ops.create({ description: 'execute task', createdBy: 'vm-1' });
    expect(ops.get(op.id)).toMatchObject({
      done: false,
      createdBy: 'vm-1',
      createdAt: new Date(1_000),
    });
  });

  it('keeps the first completion and ignores later ones', () => {
    const { ops, advance } = operations();
    const { id } = ops.create({ description: 'd', createdBy: 's' });
    advance(5);
    expect(ops.complete(id, response)).toBe(true);
    expect(ops.fail(id, { code: 'INTERNAL', message: 'late' })).toBe(false);
    expect(ops.get(id)).toMatchObject({ done: true, response, error: undefined });
    expect(ops.get(id).modifiedAt).toEqual(new Date(1_005));
  });

  it('throws NotFound for an unknown id', () => {
    expect(() => operations().ops.get('nope')).toThrow(NotFound);
  });

  it('watches the current version, then the done one, and ends', async () => {
    const { ops, advance } = operations();
    const { id } = ops.create({ description: 'd', createdBy: 's' });
    const seen: Operation[] = [];
    const watching = (async () => {
      for await (const op of ops.watch(id)) seen.push(op);
    })();
    await Promise.resolve();
    advance(1);
    ops.fail(id, { code: 'UNAVAILABLE', message: 'vm gone' });
    await watching;
    expect(seen.map((op) => op.done)).toEqual([false, true]);
    expect(seen[1]?.error?.code).toBe('UNAVAILABLE');
  });

  it('runs start() in the background and completes or fails with its outcome', async () => {
    const { ops } = operations();
    const ok = ops.start(
      'finish',
      's',
      () => Promise.resolve(response),
      () => ({ code: 'INTERNAL', message: '' }),
    );
    const bad = ops.start(
      'finish',
      's',
      () => Promise.reject(new Error('disk full')),
      (err) => ({ code: 'INTERNAL', message: (err as Error).message }),
    );
    expect((await ops.waitForDone(ok.id)).response).toEqual(response);
    expect((await ops.waitForDone(bad.id)).error).toEqual({
      code: 'INTERNAL',
      message: 'disk full',
    });
  });

  it('stops waiting when the signal aborts', async () => {
    const { ops } = operations();
    const { id } = ops.create({ description: 'd', createdBy: 's' });
    const controller = new AbortController();
    const waiting = ops.waitForDone(id, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});
