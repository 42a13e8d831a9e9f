import { InvalidArgument } from '@lzy/errors';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FsBlobStore } from '../src/index.ts';
import { describeBlobContract, readText } from './blob-contract.ts';

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'lzy-blob-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  return root;
}

describeBlobContract('FsBlobStore', async () => new FsBlobStore({ root: await tempRoot() }));

describe('FsBlobStore', () => {
  it('never touches files outside its root', async () => {
    const parent = await tempRoot();
    const root = join(parent, 'root');
    const store = new FsBlobStore({ root });
    await writeFile(join(parent, 'secret'), 'keep');
    await expect(store.put('../secret', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidArgument);
    await expect(store.delete('../secret')).rejects.toBeInstanceOf(InvalidArgument);
    await expect(store.get(join(parent, 'secret'))).rejects.toBeInstanceOf(InvalidArgument);
    expect(await readdir(parent)).toEqual(['secret']);
  });

  // Not in the contract: versitygw's posix backend (our test S3) rejects it; AWS S3 allows it.
  it('keeps "a" and "a/b" apart, as a flat key space', async () => {
    const store = new FsBlobStore({ root: await tempRoot() });
    await store.put('a', Buffer.from('file'));
    await store.put('a/b', Buffer.from('nested'));
    expect(await readText(store, 'a')).toBe('file');
    expect((await store.list('a')).items.map((i) => i.key)).toEqual(['a', 'a/b']);
    await store.delete('a');
    expect(await readText(store, 'a/b')).toBe('nested');
  });

  it('ignores temp files left by a crashed put', async () => {
    const root = await tempRoot();
    const store = new FsBlobStore({ root });
    await store.put('k', Buffer.from('v'));
    await writeFile(join(root, '.deadbeef.tmp'), 'half-written');
    expect((await store.list('')).items.map((i) => i.key)).toEqual(['k']);
    expect(await readText(store, 'k')).toBe('v');
  });

  it('rejects a page token it did not issue', async () => {
    const store = new FsBlobStore({ root: await tempRoot() });
    await expect(store.list('', { pageToken: '!!' })).rejects.toBeInstanceOf(InvalidArgument);
  });
});
