import { InvalidArgument } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { listAll, type BlobStore } from '../src/index.ts';

async function putAll(store: BlobStore, keys: readonly string[]): Promise<void> {
  // A few at a time: enough to be quick, few enough for a 2-core CI box.
  for (let i = 0; i < keys.length; i += 8) {
    await Promise.all(keys.slice(i, i + 8).map((k) => store.put(k, Buffer.from(k))));
  }
}

/** Byte-wise UTF-8 order, which S3 uses for listings. */
function sortedKeys(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The listing part of the BlobStore contract. */
export function describeListContract(makeStore: () => Promise<BlobStore>): void {
  describe('list', () => {
    it('pages through every key under a prefix in key order', async () => {
      const store = await makeStore();
      const keys = Array.from({ length: 25 }, (_, i) => `runs/${String(i).padStart(2, '0')}`);
      await putAll(store, [...keys, 'runs-other', 'runt/x', 'other/1']);

      const first = await store.list('runs/', { limit: 10 });
      expect(first.items.map((i) => i.key)).toEqual(keys.slice(0, 10));
      expect(first.items[0]).toMatchObject({ sizeBytes: 7 });
      expect(first.items[0]?.lastModified).toBeInstanceOf(Date);
      const second = await store.list('runs/', { limit: 10, pageToken: first.nextPageToken ?? '' });
      expect(second.items.map((i) => i.key)).toEqual(keys.slice(10, 20));
      const third = await store.list('runs/', { limit: 10, pageToken: second.nextPageToken ?? '' });
      expect(third.items.map((i) => i.key)).toEqual(keys.slice(20));
      expect(third.nextPageToken).toBeUndefined();

      const all = [];
      for await (const info of listAll(store, 'runs/', { pageSize: 7 })) all.push(info.key);
      expect(all).toEqual(keys);
    });

    it('orders nested keys and partial prefixes as S3 does', async () => {
      const store = await makeStore();
      // No key is also a prefix of another ("a" and "a/b"): posix-backed S3 servers reject that.
      const keys = ['a-b', 'a/b', 'a/c/d', 'a0', 'ab/x', 'b', 'é', 'z/ü', '\u{1F600}', '\uFF5E'];
      await putAll(store, keys);
      const all = [];
      for await (const info of listAll(store, '', { pageSize: 2 })) all.push(info.key);
      expect(all).toEqual(sortedKeys(keys));
      expect((await store.list('a/')).items.map((i) => i.key)).toEqual(['a/b', 'a/c/d']);
      expect((await store.list('a/c')).items.map((i) => i.key)).toEqual(['a/c/d']);
      expect((await store.list('a')).items.map((i) => i.key)).toEqual(sortedKeys(keys.slice(0, 5)));
      expect((await store.list('nothing/')).items).toEqual([]);
    });

    it('rejects a page size outside 1..1000', async () => {
      const store = await makeStore();
      await expect(store.list('', { limit: 0 })).rejects.toBeInstanceOf(InvalidArgument);
      await expect(store.list('', { limit: 1001 })).rejects.toBeInstanceOf(InvalidArgument);
    });
  });
}
