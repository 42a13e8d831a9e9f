import { InvalidArgument } from '@lzy/errors';

const MAX_KEY_BYTES = 1024;
// eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\]/;
export const MAX_LIST_LIMIT = 1000;

/**
 * Throws InvalidArgument unless `key` is a valid blob key (see BlobStore): the same rules for
 * every implementation, so a key accepted by the filesystem store also works on S3 and
 * can never escape the filesystem store's root.
 */
export function validateKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new InvalidArgument(
      `blob key ${JSON.stringify(key)} is invalid: ${problem}; ` +
        'use slash-separated names such as "runs/42/result.bin"',
    );
  }
}

function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (FORBIDDEN_CHARS.test(key)) return 'it contains a control character or a backslash';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty segment (leading, trailing or double slash)';
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
  }
  return undefined;
}

/**
 * Throws InvalidArgument unless `prefix` could begin a valid key: "" (everything), or any
 * prefix free of control characters, a leading slash and "."/".." segments.
 */
export function validatePrefix(prefix: string): void {
  if (prefix === '') return;
  const segments = prefix.split('/');
  const complete = segments.slice(0, -1); // the last one may be cut short: "runs/4"
  const bad =
    Buffer.byteLength(prefix) > MAX_KEY_BYTES ||
    FORBIDDEN_CHARS.test(prefix) ||
    complete.some((s) => s === '' || s === '.' || s === '..');
  if (bad) {
    throw new InvalidArgument(
      `blob prefix ${JSON.stringify(prefix)} is invalid: ` +
        'it must be the start of a valid key, such as "runs/42/"',
    );
  }
}

/** Throws InvalidArgument unless `limit` is an integer in 1..1000. */
export function validateLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidArgument(
      `list limit ${limit} is invalid: use an integer in 1..${MAX_LIST_LIMIT}`,
    );
  }
}
