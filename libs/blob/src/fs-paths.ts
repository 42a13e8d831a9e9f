import { InvalidArgument } from '@lzy/errors';
import { join, resolve, sep } from 'node:path';
import { validateKey } from './blob-keys.ts';

/**
 * Key ↔ path mapping of FsBlobStore. Each key segment is a path component with '%' escaped as
 * '%25'; the object's file gets a trailing '%' that no escaped name can end with. So directories
 * and object files never collide: "a" (file `a%`) and "a/b" (dir `a`, file `b%`) coexist as on
 * S3, and temp files (`.<random>.tmp`) are never mistaken for objects.
 */
const FILE_MARK = '%';
const MAX_NAME_BYTES = 255;

/** Absolute path of the object file for `key`; InvalidArgument for bad or too long keys. */
export function objectPath(root: string, key: string): string {
  validateKey(key);
  const segments = key.split('/').map(escapeSegment);
  const last = segments.length - 1;
  segments[last] = `${segments[last]}${FILE_MARK}`;
  const tooLong = segments.find((s) => Buffer.byteLength(s) > MAX_NAME_BYTES);
  if (tooLong !== undefined) {
    throw new InvalidArgument(
      `blob key ${JSON.stringify(key)} is invalid here: the filesystem store allows at most ` +
        `${MAX_NAME_BYTES - 1} bytes between slashes`,
    );
  }
  const path = join(root, ...segments);
  // validateKey already rules out '..' and absolute keys; this guards the guard.
  if (!path.startsWith(resolve(root) + sep)) {
    throw new InvalidArgument(`blob key ${JSON.stringify(key)} escapes the store's root`);
  }
  return path;
}

/** The key segment a directory entry stands for, or undefined if it is no object or key dir. */
export function segmentOf(name: string, isDirectory: boolean): string | undefined {
  if (isDirectory) return name.endsWith(FILE_MARK) ? undefined : unescapeSegment(name);
  return name.endsWith(FILE_MARK) ? unescapeSegment(name.slice(0, -1)) : undefined;
}

function escapeSegment(segment: string): string {
  return segment.replaceAll('%', '%25');
}

function unescapeSegment(name: string): string {
  return name.replaceAll('%25', '%');
}
