import { setTimeout as delay } from 'node:timers/promises';
import { Unavailable } from '@lzy/errors';
import { reconnectTimeoutMs } from './config.ts';

/**
 * How the SDK rides out an LZY that is briefly gone (a restarted local suite, a redeployed
 * lzy-service): a call that fails with UNAVAILABLE (connection refused or reset, a service still
 * starting) is made again with exponential backoff until it succeeds or `timeoutMs` has passed
 * since the first failure; then the last error is thrown.
 */
export interface ReconnectPolicy {
  /** Longest outage ridden out, per call. 0: no retries (the first UNAVAILABLE is thrown). */
  readonly timeoutMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  timeoutMs: 120_000,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
};

/** DEFAULT_RECONNECT lasting `timeoutMs`, else LZY_RECONNECT_TIMEOUT_MS, else 2 minutes. */
export function reconnectPolicy(timeoutMs: number | undefined): ReconnectPolicy {
  const fromEnv = timeoutMs ?? reconnectTimeoutMs();
  return { ...DEFAULT_RECONNECT, timeoutMs: fromEnv ?? DEFAULT_RECONNECT.timeoutMs };
}

/** The backoff of retry `attempt` (0-based): doubling from the initial, capped, ±20 % jitter. */
export function reconnectDelayMs(policy: ReconnectPolicy, attempt: number, random = Math.random) {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Calls `call` until it resolves or fails with something other than Unavailable, retrying
 * Unavailable per `policy`. Only for calls that are safe to repeat: reads, and writes the
 * service makes idempotent (ExecuteGraph by its request bytes, FinishWorkflow by execution).
 * @throws the call's error; the last Unavailable once `policy.timeoutMs` has passed.
 */
export async function withReconnect<T>(
  policy: ReconnectPolicy,
  call: () => Promise<T>,
  signal?: AbortSignal,
  clock: ReconnectClock = SYSTEM_CLOCK,
): Promise<T> {
  let firstFailureMs: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof Unavailable) || signal?.aborted === true) throw err;
      firstFailureMs ??= clock.now();
      const waitMs = reconnectDelayMs(policy, attempt);
      if (clock.now() + waitMs - firstFailureMs > policy.timeoutMs) throw err;
      await clock.sleep(waitMs, signal);
    }
  }
}

/** Time as withReconnect sees it (tests pass a fake). */
export interface ReconnectClock {
  now(): number;
  /** Rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void>;
}

const SYSTEM_CLOCK: ReconnectClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal === undefined ? {} : { signal }),
};
