import { InvalidArgument, NotFound } from '@lzy/errors';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_LIST_LIMIT, validateLimit, validatePrefix } from './blob-keys.ts';
import type {
  BlobBody,
  BlobInfo,
  BlobPage,
  BlobStore,
  GetOptions,
  ListOptions,
  PutOptions,
} from './blob-store.ts';
import { guardedBody, validateRange } from './body.ts';
import { decodePageToken, encodePageToken, isFsError, statObject, walkObjects } from './fs-list.ts';
import { objectPath } from './fs-paths.ts';

/**
 * BlobStore in a local directory, for the local mode and tests. Puts write a temp file next to
 * the target, fsync it and rename it over the target, so readers never see partial objects and
 * a crash leaves only a stray `.<random>.tmp` file (ignored by list). Keys map to paths as in
 * fs-paths.ts. Directories emptied by deletes are left in place.
 */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  /** `root` must exist; the store never writes outside it. */
  constructor(opts: { root: string }) {
    this.root = opts.root;
  }

  async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<{ sizeBytes: number }> {
    const path = objectPath(this.root, key);
    const guarded = guardedBody(key, body, opts.sizeBytes);
    const dir = dirname(path);
    const tmp = join(dir, `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await pipeline(guarded, createWriteStream(tmp, { flags: 'wx', flush: true }));
      await rename(tmp, path);
    } catch (err) {
      guarded.destroy();
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDir(dir);
    return { sizeBytes: guarded.bytes };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const path = objectPath(this.root, key);
    if (opts.range) validateRange(opts.range);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isFsError(err, 'ENOENT'))
        throw new NotFound(`blob ${JSON.stringify(key)} does not exist`);
      throw err;
    }
    try {
      const { size } = await handle.stat();
      const start = opts.range?.start ?? 0;
      if (opts.range && start >= size) {
        throw new InvalidArgument(
          `blob ${JSON.stringify(key)}: range starts at byte ${start}, ` +
            `but the object has ${size} bytes`,
        );
      }
      const end = Math.min(opts.range?.end ?? Infinity, size - 1);
      return handle.createReadStream({ start, ...(size > 0 ? { end } : {}), autoClose: true });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    return statObject(objectPath(this.root, key), key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(objectPath(this.root, key), { force: true });
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<BlobPage> {
    validatePrefix(prefix);
    const limit = opts.limit ?? MAX_LIST_LIMIT;
    validateLimit(limit);
    const startAfter = opts.pageToken === undefined ? undefined : decodePageToken(opts.pageToken);
    const items: BlobInfo[] = [];
    // One extra entry tells whether another page exists, so the last page carries no token.
    for await (const info of walkObjects(this.root, prefix, startAfter)) {
      items.push(info);
      if (items.length > limit) break;
    }
    if (items.length <= limit) return { items };
    items.pop();
    const last = items[items.length - 1];
    return { items, ...(last ? { nextPageToken: encodePageToken(last.key) } : {}) };
  }
}

/** Makes the rename durable: fsync the directory holding the new entry. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
