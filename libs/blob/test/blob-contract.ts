import { InvalidArgument, NotFound } from '@lzy/errors';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listAll, type BlobStore } from '../src/index.ts';
import { deterministicStream, hashStream, sampleRssGrowth } from './deterministic-stream.ts';
import { describeListContract } from './list-contract.ts';

/** Creates a store for one test, inside the test (it may register cleanups for it). */
export type MakeStore = () => Promise<BlobStore>;

const BIG_OBJECT_BYTES = 200 * 1024 * 1024;
const MAX_RSS_GROWTH_BYTES = 64 * 1024 * 1024;

export async function readText(
  store: BlobStore,
  key: string,
  range?: { start: number; end?: number },
) {
  const stream = await store.get(key, range ? { range } : {});
  return Buffer.concat(await stream.toArray()).toString();
}

/** An AsyncIterable that is not a stream, yielding `parts` as UTF-8. */
function asyncIterableOf(parts: readonly string[]): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const it = parts.values();
      return {
        next: () => {
          const n = it.next();
          return Promise.resolve(
            n.done ? n : { done: false as const, value: new TextEncoder().encode(n.value) },
          );
        },
      };
    },
  };
}

/** The BlobStore contract (blob-store.ts), run against every implementation. */
export function describeBlobContract(name: string, makeStore: MakeStore): void {
  describe(`${name} BlobStore contract`, () => {
    it('returns what was put, from bytes, streams and async iterables', async () => {
      const store = await makeStore();
      expect(await store.put('a/bytes', Buffer.from('hello'))).toEqual({ sizeBytes: 5 });
      await store.put('a/stream', Readable.from([Buffer.from('str'), Buffer.from('eam')]));
      await store.put('a/iter', asyncIterableOf(['it', 'er']), {
        sizeBytes: 4,
        contentType: 'text/plain',
      });

      expect(await readText(store, 'a/bytes')).toBe('hello');
      expect(await readText(store, 'a/stream')).toBe('stream');
      expect(await readText(store, 'a/iter')).toBe('iter');
      expect(await store.head('a/stream')).toMatchObject({ key: 'a/stream', sizeBytes: 6 });
      expect(await store.exists('a/iter')).toBe(true);
    });

    it('keeps keys with spaces, percent signs and non-ASCII characters exact', async () => {
      const store = await makeStore();
      const key = 'dir with space/100%25 ü/файл.bin';
      await store.put(key, Buffer.from('x'));
      expect(await readText(store, key)).toBe('x');
      expect((await store.list('dir with space/')).items.map((i) => i.key)).toEqual([key]);
    });

    it('serves inclusive byte ranges, clipped at the end of the object', async () => {
      const store = await makeStore();
      await store.put('r', Buffer.from('0123456789'));
      expect(await readText(store, 'r', { start: 2, end: 4 })).toBe('234');
      expect(await readText(store, 'r', { start: 7 })).toBe('789');
      expect(await readText(store, 'r', { start: 9, end: 9 })).toBe('9');
      expect(await readText(store, 'r', { start: 8, end: 100 })).toBe('89');
    });

    it('rejects ranges past the end or reversed with InvalidArgument', async () => {
      const store = await makeStore();
      await store.put('r', Buffer.from('0123456789'));
      await store.put('empty', Buffer.alloc(0));
      await expect(store.get('r', { range: { start: 10 } })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      await expect(store.get('r', { range: { start: 5, end: 4 } })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      await expect(store.get('r', { range: { start: -1 } })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      await expect(store.get('empty', { range: { start: 0 } })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
    });

    it('reports a missing key as NotFound on get and as absent on head and exists', async () => {
      const store = await makeStore();
      await expect(store.get('missing/key')).rejects.toBeInstanceOf(NotFound);
      await expect(store.get('missing/key', { range: { start: 0 } })).rejects.toBeInstanceOf(
        NotFound,
      );
      expect(await store.head('missing/key')).toBeUndefined();
      expect(await store.exists('missing/key')).toBe(false);
    });

    it('deletes idempotently', async () => {
      const store = await makeStore();
      await store.put('d', Buffer.from('x'));
      await store.delete('d');
      await store.delete('d');
      await store.delete('never/existed');
      await expect(store.get('d')).rejects.toBeInstanceOf(NotFound);
      expect(await store.exists('d')).toBe(false);
    });

    it('replaces an object on overwrite', async () => {
      const store = await makeStore();
      await store.put('o', Buffer.from('first version'));
      await store.put('o', Buffer.from('second'));
      expect(await readText(store, 'o')).toBe('second');
      expect(await store.head('o')).toMatchObject({ sizeBytes: 6 });
    });

    it('stores empty objects', async () => {
      const store = await makeStore();
      expect(await store.put('e', Buffer.alloc(0))).toEqual({ sizeBytes: 0 });
      await store.put('e-stream', Readable.from([]));
      expect(await readText(store, 'e')).toBe('');
      expect(await readText(store, 'e-stream')).toBe('');
      expect(await store.head('e-stream')).toMatchObject({ sizeBytes: 0 });
    });

    it('rejects invalid keys with InvalidArgument in every method', async () => {
      const store = await makeStore();
      const bad = [
        '',
        '/abs',
        'a/../b',
        '..',
        './a',
        'a//b',
        'a/',
        'a\\b',
        'nul\u0000',
        'k'.repeat(1025),
      ];
      for (const key of bad) {
        await expect(store.put(key, Buffer.from('x')), key).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.head(key), key).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.exists(key), key).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.delete(key), key).rejects.toBeInstanceOf(InvalidArgument);
      }
      await expect(store.list('/abs')).rejects.toBeInstanceOf(InvalidArgument);
      await expect(store.list('a/../')).rejects.toBeInstanceOf(InvalidArgument);
    });

    it('rejects a body whose length differs from sizeBytes and keeps the old object', async () => {
      const store = await makeStore();
      await store.put('s', Buffer.from('old'));
      await expect(store.put('s', Buffer.from('12345'), { sizeBytes: 4 })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      await expect(store.put('s', Buffer.from('12345'), { sizeBytes: 6 })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      await expect(store.put('t', Buffer.from('1'), { sizeBytes: 2 })).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      expect(await readText(store, 's')).toBe('old');
      expect(await store.exists('t')).toBe(false);
    });

    it('fails the put with the body stream error and keeps the old object', async () => {
      const store = await makeStore();
      await store.put('f', Buffer.from('old'));
      const failing = new Readable({
        read() {
          this.push('partial');
          this.destroy(new Error('producer crashed'));
        },
      });
      await expect(store.put('f', failing)).rejects.toThrow('producer crashed');
      expect(await readText(store, 'f')).toBe('old');
    });

    describeListContract(makeStore);

    it('streams a 200 MB object both ways with bounded memory', async () => {
      const store = await makeStore();
      const source = deterministicStream(BIG_OBJECT_BYTES);
      const rss = sampleRssGrowth();
      try {
        expect(await store.put('big/object', source.stream)).toEqual({
          sizeBytes: BIG_OBJECT_BYTES,
        });
        const back = await hashStream(await store.get('big/object'));
        expect(back).toEqual({ sha256: source.sha256(), sizeBytes: BIG_OBJECT_BYTES });
      } finally {
        const growthBytes = rss.stop();
        expect(growthBytes, `RSS grew ${growthBytes >> 20} MiB`).toBeLessThan(MAX_RSS_GROWTH_BYTES);
      }
      expect((await store.head('big/object'))?.sizeBytes).toBe(BIG_OBJECT_BYTES);
      const all = [];
      for await (const info of listAll(store, 'big/')) all.push(info.key);
      expect(all).toEqual(['big/object']);
      await store.delete('big/object');
    });
  });
}
