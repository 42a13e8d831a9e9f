import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack } from '@lzy/testing';
import { workflow } from '../src/index.ts';
import type { ClientConfig, StdSink } from '../src/index.ts';
import { plusOne, tracedValue, workerGone } from './fixtures/ops.ts';

/**
 * Idle workers are reaped 300 ms after their task. In one graph the consumer of a value starts
 * only after the producer's worker exited (it also waits for `workerGone`), so it cannot read
 * from the producer: channel-manager drops the gone sender and the portal serves its S3 copy.
 */
describe('a consumer whose producer worker was reaped', () => {
  const cleanup = new CleanupStack();
  let config: ClientConfig;
  let dir: string;
  const quiet: StdSink = { stdout: () => undefined, stderr: () => undefined };

  beforeAll(async () => {
    const { startSdkSuite } = await import('./sdk-suite.ts');
    config = await startSdkSuite(cleanup, { prefix: 'sdk_reaped', vmIdleTimeoutMs: 300 });
    dir = await mkdtemp(join(tmpdir(), 'lzy-reaped-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
  });
  afterAll(() => cleanup.close());

  it('still gets the value, from the portal', async () => {
    const pidFile = join(dir, 'producer.pid');
    const result = await workflow(
      'reaped-producer',
      async () => await plusOne(tracedValue(41, pidFile), workerGone(pidFile)),
      { config, std: quiet },
    );
    expect(result).toBe(42);
  });
});
