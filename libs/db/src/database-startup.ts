import { setTimeout as delay } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { Unavailable } from '@lzy/errors';
import { migrateToLatest } from './migrate.ts';

/** The part of a pino logger the start-up uses (pino's Logger satisfies it). */
export interface StartupLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One thing to do with the database before serving; retried until it succeeds. */
export interface StartupStep {
  /** What it does, for the log: `could not <name>; retrying`. */
  readonly name: string;
  /** Idempotent enough to be run again after it failed. `signal` aborts at stop(). */
  readonly run: (signal: AbortSignal) => Promise<void> | void;
}

export interface DatabaseStartupOptions<DB> {
  readonly db: Kysely<DB>;
  /** Applied first (`migrateToLatest`). Omit when the schema is managed elsewhere. */
  readonly migrations?: Readonly<Record<string, Migration>> | undefined;
  /**
   * Run in order after migrating (LISTEN, bootstrap rows, resuming work). A failing step is
   * retried with the same backoff, and the start-up resumes at that step, not from the start.
   */
  readonly steps?: readonly StartupStep[];
  /** Called once, after the last step, unless stopped first (health SERVING, open the gate). */
  readonly onReady?: () => void;
  readonly log: StartupLogger;
  /** First wait after a failure; doubles up to maxBackoffMs, back to this after a success. Default 1 000. */
  readonly initialBackoffMs?: number;
  /** Default 30 000. */
  readonly maxBackoffMs?: number;
  /**
   * A failure of the FIRST attempt for which this returns true ends the start-up: `firstAttempt`
   * rejects with it and nothing is retried (e.g. iam fails fast on a broken migration but waits
   * for an unreachable server). Default: every failure is retried.
   */
  readonly fatalAtStart?: (err: unknown) => boolean;
  /** Waits between attempts; rejects when `signal` aborts. Default node's timer (tests pass a fake). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface DatabaseStartup {
  /** Resolves true once every step succeeded, false if stopped (or failed fatally) first. Never rejects. */
  readonly ready: Promise<boolean>;
  /**
   * Settles after the first attempt: resolves when it succeeded or will be retried in the
   * background; rejects when it failed with an error `fatalAtStart` accepts.
   */
  readonly firstAttempt: Promise<void>;
  isReady(): boolean;
  /** Stops retrying and waits for a running step to return. Idempotent. */
  stop(): Promise<void>;
}

/** True if `err` or one of its causes is Unavailable (e.g. the server was unreachable). */
export function isUnavailableCause(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if (e instanceof Unavailable) return true;
  return false;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal });

/**
 * Prepares a service's database in the background so that start() never fails, nor the process
 * crash-loops, while PostgreSQL is unreachable or still starting (issue 4 rule): migrates, then
 * runs `steps`, retrying the failing one with exponential backoff and logging each failure, then
 * calls `onReady`. Does not touch gRPC: pair it with `ReadinessGate` (@lzy/grpc), whose
 * `markReady` is the usual `onReady`, for per-service health NOT_SERVING and UNAVAILABLE calls
 * until then.
 *
 * ```ts
 * const startup = startDatabaseInBackground({ db, migrations, log, onReady: () => gate.markReady() });
 * // stop: await startup.stop() before closing the database
 * ```
 */
export function startDatabaseInBackground<DB>(
  options: DatabaseStartupOptions<DB>,
): DatabaseStartup {
  const controller = new AbortController();
  const { signal } = controller;
  const sleep = options.sleep ?? defaultSleep;
  const initialBackoffMs = options.initialBackoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const { migrations, log } = options;
  const steps: StartupStep[] = [];
  if (migrations !== undefined) {
    steps.push({
      name: 'migrate the database',
      run: async () => {
        const applied = await migrateToLatest(options.db, migrations);
        if (applied.length > 0) log.info({ applied }, 'database migrated');
      },
    });
  }
  steps.push(...(options.steps ?? []));

  let ready = false;
  let settleFirst: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  const firstAttempt = new Promise<void>((resolve, reject) => (settleFirst = { resolve, reject }));
  firstAttempt.catch(() => undefined); // the caller may not wait for it
  const firstSettled = (err?: unknown) => {
    if (err === undefined) settleFirst?.resolve();
    else settleFirst?.reject(err);
    settleFirst = undefined;
  };

  const run = async (): Promise<boolean> => {
    let backoffMs = initialBackoffMs;
    let step = 0;
    while (step < steps.length) {
      if (signal.aborted) return false;
      const current = steps[step]!;
      try {
        await current.run(signal);
        step++;
        backoffMs = initialBackoffMs;
        continue;
      } catch (err) {
        if (signal.aborted) return false;
        if (settleFirst !== undefined && options.fatalAtStart?.(err) === true) {
          firstSettled(err);
          return false;
        }
        log.error({ err, retryInMs: backoffMs }, `could not ${current.name}; retrying`);
      }
      firstSettled();
      const slept = await sleep(backoffMs, signal).then(
        () => true,
        () => false,
      );
      if (!slept) return false;
      backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
    }
    if (signal.aborted) return false;
    ready = true;
    firstSettled();
    try {
      options.onReady?.();
    } catch (err) {
      log.error({ err }, 'the database is ready, but onReady failed');
    }
    return true;
  };
  const done = run().finally(() => firstSettled());
  return {
    ready: done,
    firstAttempt,
    isReady: () => ready,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
