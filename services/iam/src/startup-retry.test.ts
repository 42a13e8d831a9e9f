import { afterEach, describe, expect, it, vi } from 'vitest';
import { MigrationError } from '@lzy/db';
import { Unavailable } from '@lzy/errors';
import { createLogger } from '@lzy/logging';
import { StartupRetry } from './startup-retry.ts';

const log = createLogger({ service: 'test', level: 'silent' });

afterEach(() => {
  vi.useRealTimers();
});

describe('StartupRetry', () => {
  it('retries in the background while the database is unavailable, then reports ready', async () => {
    vi.useFakeTimers();
    let failures = 2;
    const onReady = vi.fn();
    const retry = new StartupRetry({
      attempt: () =>
        failures-- > 0
          ? Promise.reject(new MigrationError(undefined, new Unavailable('db down')))
          : Promise.resolve(),
      log,
      onReady,
      initialDelayMs: 10,
    });
    await retry.start();
    expect(retry.isReady).toBe(false);
    await vi.advanceTimersByTimeAsync(10 + 20);
    expect(retry.isReady).toBe(true);
    expect(onReady).toHaveBeenCalledOnce();
    retry.stop();
  });

  it('fails start when the first attempt fails for another reason', async () => {
    const retry = new StartupRetry({
      attempt: () => Promise.reject(new Error('migration 0002 is broken')),
      log,
      onReady: () => undefined,
    });
    await expect(retry.start()).rejects.toThrow('migration 0002 is broken');
  });
});
