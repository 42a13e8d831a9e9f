import { createHash } from 'node:crypto';
import { InvalidArgument } from '@lzy/errors';

const PREFIX = 'tmp-bucket-';
const MAX_LENGTH = 63;
const VALID = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The internal bucket of a user (reference §9.2: `tmp-bucket-<userId>`), made a valid S3 bucket
 * name: the user id is lowercased and every character outside [a-z0-9-] becomes `-`. When that
 * changes the id (case, other characters) or the name would exceed 63 characters, the name ends
 * with `-<first 8 hex of sha256(userId)>` so distinct ids never share a bucket:
 * `Alice_1` → `tmp-bucket-alice-1-<hash8>`; a plain `alice-1` stays `tmp-bucket-alice-1`.
 */
export function userBucketName(userId: string): string {
  const cleaned = userId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const plain = `${PREFIX}${cleaned}`;
  if (cleaned === userId && cleaned !== '' && plain.length <= MAX_LENGTH) return plain;
  const hash = createHash('sha256').update(userId).digest('hex').slice(0, 8);
  const room = MAX_LENGTH - PREFIX.length - hash.length - 1;
  const head = cleaned.slice(0, room).replace(/-$/, '');
  return head === '' ? `${PREFIX}${hash}` : `${PREFIX}${head}-${hash}`;
}

/**
 * Checks an explicitly requested bucket name (S3 rules: 3..63 of [a-z0-9-], letter or digit at
 * both ends). @throws InvalidArgument naming the rule.
 */
export function checkBucketName(bucket: string): string {
  if (!VALID.test(bucket) || bucket.includes('--'))
    throw new InvalidArgument(
      `bucket ${JSON.stringify(bucket)} is not a valid bucket name: use 3..63 characters ` +
        'a-z, 0-9 and single "-", starting and ending with a letter or digit',
    );
  return bucket;
}
