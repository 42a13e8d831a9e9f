import { setTimeout as sleep } from 'node:timers/promises';
import { Aborted } from '@lzy/errors';
import type { Kysely, Transaction } from 'kysely';
import { isRetryableConflict, mapPgError } from './pg-errors.ts';

export type IsolationLevel = 'serializable' | 'repeatable read' | 'read committed';

export interface TransactionOptions {
  /** Default 'repeatable read' (as LZY's Java services). */
  readonly isolation?: IsolationLevel;
  /** Extra attempts after a serialization failure or deadlock. Default 5. */
  readonly maxRetries?: number;
}

const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 250;

/** Full jitter: random in [0, min(cap, base·2^attempt)), so colliding transactions spread out. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
}

/**
 * Runs `fn` in a transaction and commits. A serialization failure (40001) or deadlock (40P01),
 * raised by any statement or by COMMIT, rolls back and runs `fn` again after a short jittered
 * backoff, so `fn` must have no side effects outside the transaction. After `maxRetries` retries
 * it throws Aborted. Other errors roll back and propagate (pg errors already mapped to
 * `@lzy/errors`).
 *
 * Given a transaction as `db`, runs `fn` in it directly (no nesting, no retries: the outermost
 * call retries).
 */
export async function withTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<DB>);
  const isolation = options.isolation ?? 'repeatable read';
  const maxRetries = options.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().setIsolationLevel(isolation).execute(fn);
    } catch (err) {
      if (!isRetryableConflict(err)) throw mapPgError(err);
      if (attempt >= maxRetries) {
        throw new Aborted(
          `A concurrent change kept conflicting with this one (${attempt + 1} attempts); retry`,
          { cause: err },
        );
      }
      await sleep(backoffMs(attempt));
    }
  }
}
