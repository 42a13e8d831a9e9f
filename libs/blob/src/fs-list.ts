import { InvalidArgument } from '@lzy/errors';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { validateKey } from './blob-keys.ts';
import type { BlobInfo } from './blob-store.ts';
import { segmentOf } from './fs-paths.ts';

/** S3 orders keys by their UTF-8 bytes, which differs from JS string order above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Objects under `root` whose key starts with `prefix` and sorts after `startAfter`, in key order.
 * Walks only directories that can hold such keys; siblings are sorted with a '/' appended to
 * directory names, which makes depth-first order equal to key order. Objects deleted during
 * the walk are skipped.
 */
export async function* walkObjects(
  root: string,
  prefix: string,
  startAfter: string | undefined,
  dir = root,
  dirKey = '',
): AsyncGenerator<BlobInfo> {
  for (const entry of await sortedEntries(dir, dirKey)) {
    if (entry.isDirectory) {
      const under = entry.key; // ends with '/'
      const matchesPrefix = under.startsWith(prefix) || prefix.startsWith(under);
      const allBefore =
        startAfter !== undefined &&
        compareKeys(under, startAfter) < 0 &&
        !startAfter.startsWith(under);
      if (matchesPrefix && !allBefore) {
        yield* walkObjects(root, prefix, startAfter, entry.path, under);
      }
    } else if (
      entry.key.startsWith(prefix) &&
      (startAfter === undefined || compareKeys(entry.key, startAfter) > 0)
    ) {
      const info = await statObject(entry.path, entry.key);
      if (info) yield info;
    }
  }
}

interface Entry {
  readonly key: string;
  readonly path: string;
  readonly isDirectory: boolean;
}

async function sortedEntries(dir: string, dirKey: string): Promise<Entry[]> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return [];
    throw err;
  }
  const entries: Entry[] = [];
  for (const d of dirents) {
    const segment = segmentOf(d.name, d.isDirectory());
    if (segment === undefined || !(d.isDirectory() || d.isFile())) continue;
    const key = dirKey + segment + (d.isDirectory() ? '/' : '');
    entries.push({ key, path: join(dir, d.name), isDirectory: d.isDirectory() });
  }
  return entries.sort((a, b) => compareKeys(a.key, b.key));
}

/** Size and mtime of the object file at `path`, or undefined if it is gone. */
export async function statObject(path: string, key: string): Promise<BlobInfo | undefined> {
  try {
    const st = await stat(path);
    return { key, sizeBytes: st.size, lastModified: st.mtime };
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

export function isFsError(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}

/** Page tokens are the last key of the previous page, base64url-encoded. */
export function encodePageToken(lastKey: string): string {
  return Buffer.from(lastKey).toString('base64url');
}

export function decodePageToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString();
  try {
    validateKey(key);
  } catch (err) {
    throw new InvalidArgument(
      `page token ${JSON.stringify(token)} is invalid: pass a nextPageToken`,
      {
        cause: err,
      },
    );
  }
  return key;
}
