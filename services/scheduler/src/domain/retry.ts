import { setTimeout as delay } from 'node:timers/promises';
import { isDomainError } from '@lzy/errors';

const MAX_BACKOFF_MS = 30_000;

/**
 * True for failures worth retrying: the peer or the database was unreachable or busy
 * (UNAVAILABLE, ABORTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED by the peer), a broken
 * stream, or anything that is not a domain answer (INTERNAL from a peer, a bug). Other domain
 * errors (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, …) are answers: retrying changes
 * nothing.
 */
export function isTransient(err: unknown): boolean {
  if (!isDomainError(err)) return true;
  const transient: readonly string[] = [
    'UNAVAILABLE',
    'ABORTED',
    'DEADLINE_EXCEEDED',
    'RESOURCE_EXHAUSTED',
    'CANCELLED',
  ];
  return transient.includes(err.code);
}

/** Exponential backoff: `initialMs · 2^attempt`, capped at 30 s. */
export function backoffMs(initialMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, initialMs * 2 ** Math.min(attempt, 16));
}

/** Waits `ms`; rejects with the signal's reason when it is aborted first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal });
}

/** A short human-readable reason of an error, for logs and task descriptions. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
