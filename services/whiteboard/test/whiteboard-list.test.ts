import type { lzyWhiteboard } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rpcs,
  startStack,
  whiteboardClient,
  whiteboardOf,
  whiteboardTemplate,
} from './fixtures.ts';

const at = (iso: string) => new Date(iso);

describe('LzyWhiteboardService.List', () => {
  const pg = usePostgres({ template: whiteboardTemplate });
  let stack: Awaited<ReturnType<typeof startStack>>;
  let alice: ReturnType<typeof rpcs>;
  const ids = (whiteboards: lzyWhiteboard.Whiteboard[]) => whiteboards.map((w) => w.id);

  beforeAll(async () => {
    // A small response limit so that a few whiteboards exceed it.
    stack = await startStack(pg.url, { LZY_MAX_RESPONSE_BYTES: '1000' });
    alice = rpcs(whiteboardClient(stack.address, 'alice'));
    const bob = rpcs(whiteboardClient(stack.address, 'bob'));
    await alice.register(
      whiteboardOf('a1', {
        name: 'train',
        tags: ['x', 'y'],
        createdAt: at('2023-01-01T00:00:00Z'),
      }),
    );
    await alice.register(
      whiteboardOf('a2', { name: 'train', tags: ['y'], createdAt: at('2023-01-02T00:00:00Z') }),
    );
    await alice.register(
      whiteboardOf('a3', {
        name: 'eval',
        tags: ['y', 'x', 'z'],
        createdAt: at('2023-01-03T00:00:00Z'),
      }),
    );
    await bob.register(
      whiteboardOf('b1', {
        name: 'train',
        tags: ['x', 'y'],
        createdAt: at('2023-01-02T00:00:00Z'),
      }),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("returns all of the caller's whiteboards for an empty TimeBounds (pylzy: 1a 00)", async () => {
    expect(ids(await alice.list({ createdTimeBounds: {} }))).toEqual(['a1', 'a2', 'a3']);
  });

  it('matches the name exactly', async () => {
    expect(ids(await alice.list({ name: 'train' }))).toEqual(['a1', 'a2']);
    expect(await alice.list({ name: 'trai' })).toEqual([]);
  });

  it('returns only whiteboards carrying every listed tag', async () => {
    expect(ids(await alice.list({ tags: ['x', 'y'] }))).toEqual(['a1', 'a3']);
    expect(ids(await alice.list({ tags: ['z'] }))).toEqual(['a3']);
    expect(await alice.list({ tags: ['x', 'nope'] })).toEqual([]);
  });

  it('includes whiteboards created exactly on either time bound', async () => {
    const bounds = { from: at('2023-01-02T00:00:00Z'), to: at('2023-01-03T00:00:00Z') };
    expect(ids(await alice.list({ createdTimeBounds: bounds }))).toEqual(['a2', 'a3']);
    expect(ids(await alice.list({ createdTimeBounds: { to: bounds.from } }))).toEqual(['a1', 'a2']);
    expect(ids(await alice.list({ createdTimeBounds: { from: bounds.to } }))).toEqual(['a3']);
  });

  it('returns whiteboards with their fields and tags in registration order', async () => {
    const [a3] = await alice.list({ name: 'eval' });
    expect(a3?.tags).toEqual(['y', 'x', 'z']);
    expect(a3?.fields.map((f) => f.name)).toEqual(['model', 'accuracy']);
  });

  it('refuses an answer over the response limit with RESOURCE_EXHAUSTED asking to narrow the filter', async () => {
    // The three above take ~450 bytes; two ~550-byte ones pass the 1000-byte limit together.
    const big = (id: string, name: string, day: string) =>
      whiteboardOf(id, {
        name,
        storage: { name: 's', description: 'd'.repeat(400), uri: `s3://b/${id}` },
        createdAt: at(`2023-01-${day}T00:00:00Z`),
      });
    await alice.register(big('a4', 'big-1', '04'));
    await alice.register(big('a5', 'big-2', '05'));
    await expect(alice.list({})).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringContaining('narrow the filter') as string,
    });
    expect(ids(await alice.list({ name: 'big-2' }))).toEqual(['a5']);
  });
});
