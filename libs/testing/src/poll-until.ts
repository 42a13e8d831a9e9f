import { setTimeout as delay } from 'node:timers/promises';

/** How long {@link pollUntil} keeps trying, and how often. */
export interface PollOptions {
  /** Give up after this long (ms); the error names `description` and the last failure. */
  readonly timeoutMs: number;
  /** Pause between attempts (ms). Defaults to 25. */
  readonly intervalMs?: number;
  /** Aborting stops polling at once, rejecting with the signal's reason (e.g. server exited). */
  readonly signal?: AbortSignal;
  /** Named in the timeout error, e.g. "PostgreSQL on port 5432 accepts connections". */
  readonly description?: string;
}

/**
 * Calls `fn` until it returns something other than `undefined` and resolves with that value.
 * A throwing attempt counts as "not yet"; after `timeoutMs` rejects with an Error whose `cause` is
 * the last attempt's error. Use it for readiness checks instead of fixed sleeps (STYLE.md §9).
 */
export async function pollUntil<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  opts: PollOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const intervalMs = opts.intervalMs ?? 25;
  let lastError: unknown;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    opts.signal?.throwIfAborted();
    if (Date.now() + intervalMs > deadline) {
      const what = opts.description ?? 'condition';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for: ${what}`, {
        cause: lastError,
      });
    }
    await delay(intervalMs, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}
