import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteProcesses } from '@lzy/local-suite';
import { CleanupStack } from '@lzy/testing';
import { workflow } from '../src/index.ts';
import type { ClientConfig } from '../src/index.ts';
import { slowStep } from './fixtures/ops.ts';

const STEPS = 4;

/**
 * Issue 12's chaos test, on the suite of separate processes: a chain of four ~2 s ops, and
 * while its second op runs a process is SIGKILLed (a worker VM; the scheduler, the
 * graph-executor or lzy-service, restarted). The workflow still returns the chain's result.
 */
describe('chaos: a process killed mid-graph', () => {
  const cleanup = new CleanupStack();
  let config: ClientConfig;
  let suite: SuiteProcesses;

  beforeAll(async () => {
    const { startSdkSuiteProcesses } = await import('./sdk-suite.ts');
    ({ config, suite } = await startSdkSuiteProcesses(cleanup, { prefix: 'sdk_chaos' }));
  });
  afterAll(() => cleanup.close());

  /** Runs the chain; `whileStepRuns(pid)` is called once, when the second op started on `pid`. */
  async function chainWith(name: string, whileStepRuns: (workerPid: number) => Promise<void>) {
    const dir = await mkdtemp(join(tmpdir(), `lzy-chaos-${name}-`));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    const stderr: string[] = [];
    const run = workflow(
      `chaos-${name}`,
      async () => {
        let value: number | ReturnType<typeof slowStep> = 0;
        for (let i = 0; i < STEPS; i++) value = slowStep(value, dir);
        return await value;
      },
      { config, std: { stdout: () => undefined, stderr: (text) => stderr.push(text) } },
    );
    run.catch(() => undefined);
    const pidFile = join(dir, 'step-1.pid');
    await expect.poll(() => existsSync(pidFile), { timeout: 60_000, interval: 50 }).toBe(true);
    await whileStepRuns(Number(readFileSync(pidFile, 'utf8')));
    return { result: await run, stderr: () => stderr.join('') };
  }

  it('runs the op again on another VM when its worker VM is killed, and tells the user', async () => {
    const { result, stderr } = await chainWith('worker', async (pid) => {
      // Op 1's result lives on this VM until the portal has copied it to S3 (a few ms to a few
      // hundred on a busy machine); a VM lost before that loses it and fails the graph (re-running
      // the producer is not built: ARCHITECTURE.md, open work). Killed while op 2 is still
      // sleeping (2 s), after that copy: the retry of op 2 is what this test is about.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(pid, 'SIGKILL');
    });
    expect(result).toBe(STEPS);
    expect(stderr()).toMatch(
      /\[LZY\] op 'slowStep' \(task [^)]+\): attempt 1 of 3 lost its VM [^ ]+ \([^)]*\); running it again/,
    );
  }, 90_000);

  // lzy-service: the SDK's WatchGraph stream breaks (UNAVAILABLE) and is opened again within
  // the reconnect ride-out; the restarted instance resumes following the graph.
  for (const service of ['scheduler', 'graph-executor', 'lzy-service'] as const) {
    it(`completes when the ${service} is killed and restarted mid-graph`, async () => {
      const killed = suite.pidOf(service);
      const { result } = await chainWith(service, () => suite.restart(service));
      expect(suite.pidOf(service)).not.toBe(killed);
      expect(result).toBe(STEPS);
    }, 90_000);
  }
});
