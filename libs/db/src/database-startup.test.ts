import type { Kysely } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { Unavailable } from '@lzy/errors';
import { isUnavailableCause, startDatabaseInBackground } from './database-startup.ts';
import type { DatabaseStartupOptions } from './database-startup.ts';
import { MigrationError } from './migrate.ts';

const log = { info: () => undefined, error: () => undefined };
/** Never queried: these tests give no migrations, only steps. */
const db = {} as Kysely<unknown>;

/** A sleep that records each wait and returns at once (no timers). */
function recordingSleep() {
  const waits: number[] = [];
  const sleep = (ms: number, signal: AbortSignal) => {
    waits.push(ms);
    return signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
  };
  return { waits, sleep };
}

/** A step failing `times` times with `err`, then succeeding. */
function flaky(name: string, times: number, err: Error = new Unavailable('db down')) {
  const run = vi.fn(() =>
    run.mock.calls.length <= times ? Promise.reject(err) : Promise.resolve(),
  );
  return { name, run };
}

function start(options: Partial<DatabaseStartupOptions<unknown>>) {
  return startDatabaseInBackground({ db, log, ...options });
}

describe('startDatabaseInBackground', () => {
  it('retries a failing step with doubling backoff up to the cap, then is ready', async () => {
    const { waits, sleep } = recordingSleep();
    const onReady = vi.fn();
    const step = flaky('listen', 4);
    const startup = start({
      steps: [step],
      onReady,
      sleep,
      initialBackoffMs: 10,
      maxBackoffMs: 30,
    });
    expect(await startup.ready).toBe(true);
    expect(startup.isReady()).toBe(true);
    expect(waits).toEqual([10, 20, 30, 30]);
    expect(step.run).toHaveBeenCalledTimes(5);
    expect(onReady).toHaveBeenCalledOnce();
  });

  it('resumes at the failing step without re-running the ones that succeeded', async () => {
    const { sleep } = recordingSleep();
    const first = flaky('first', 0);
    const second = flaky('second', 2);
    const startup = start({ steps: [first, second], sleep });
    expect(await startup.ready).toBe(true);
    expect(first.run).toHaveBeenCalledOnce();
    expect(second.run).toHaveBeenCalledTimes(3);
  });

  it('restarts the backoff after a step succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    const startup = start({ steps: [flaky('a', 2), flaky('b', 1)], sleep, initialBackoffMs: 5 });
    await startup.ready;
    expect(waits).toEqual([5, 10, 5]);
  });

  it('settles firstAttempt once the first attempt failed and retrying goes on in the background', async () => {
    let release!: () => void;
    const sleep = () => new Promise<void>((resolve) => (release = resolve));
    const startup = start({ steps: [flaky('migrate', 1)], sleep });
    await startup.firstAttempt;
    expect(startup.isReady()).toBe(false);
    release();
    expect(await startup.ready).toBe(true);
  });

  it('ends at a failure of the first attempt that fatalAtStart accepts, retrying nothing', async () => {
    const broken = new MigrationError('0002_broken', new Error('syntax error'));
    const step = flaky('migrate', 1, broken);
    const onReady = vi.fn();
    const startup = start({
      steps: [step],
      onReady,
      fatalAtStart: (err) => !isUnavailableCause(err),
    });
    await expect(startup.firstAttempt).rejects.toBe(broken);
    expect(await startup.ready).toBe(false);
    expect(step.run).toHaveBeenCalledOnce();
    expect(onReady).not.toHaveBeenCalled();
  });

  it('retries what fatalAtStart rejects, and any failure after the first attempt', async () => {
    const { sleep } = recordingSleep();
    const unreachable = new MigrationError(undefined, new Unavailable('connection refused'));
    const startup = start({
      steps: [flaky('migrate', 1, unreachable), flaky('bootstrap', 1, new Error('bug'))],
      sleep,
      fatalAtStart: (err) => !isUnavailableCause(err),
    });
    await expect(startup.firstAttempt).resolves.toBeUndefined();
    expect(await startup.ready).toBe(true);
  });

  it('stops retrying at stop(), waits for the running step, and never calls onReady', async () => {
    let finishStep!: () => void;
    const stepSignals: AbortSignal[] = [];
    const step = {
      name: 'resume',
      run: (signal: AbortSignal) => {
        stepSignals.push(signal);
        return new Promise<void>((resolve) => (finishStep = resolve));
      },
    };
    const onReady = vi.fn();
    const startup = start({ steps: [step], onReady });
    let stopped = false;
    const stopping = startup.stop().then(() => (stopped = true));
    expect(stepSignals[0]?.aborted).toBe(true);
    await Promise.resolve();
    expect(stopped).toBe(false);
    finishStep();
    await stopping;
    expect(await startup.ready).toBe(false);
    expect(startup.isReady()).toBe(false);
    expect(onReady).not.toHaveBeenCalled();
  });

  it('stops while waiting to retry', async () => {
    const sleep = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    const startup = start({ steps: [flaky('migrate', 1)], sleep });
    await startup.firstAttempt;
    await startup.stop();
    expect(await startup.ready).toBe(false);
  });
});

describe('isUnavailableCause', () => {
  it('finds Unavailable anywhere in the cause chain', () => {
    expect(isUnavailableCause(new MigrationError(undefined, new Unavailable('down')))).toBe(true);
    expect(isUnavailableCause(new MigrationError('0001_x', new Error('syntax')))).toBe(false);
    expect(isUnavailableCause('not an error')).toBe(false);
  });
});
