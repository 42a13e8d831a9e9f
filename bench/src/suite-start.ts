/**
 * Suite start to first result (issue 11: ≤ 3 s on a machine that has run it before), each time
 * to the result of a one-op TypeScript workflow (a portal VM and a worker VM):
 * - `lzy up` (startUp, what `pnpm start` runs, VM output in files as there) on a home kept
 *   between runs in BENCH_HOME (default ~/.cache/lzy-ts/bench-home): its PostgreSQL cluster,
 *   databases, S3 objects, keys and user exist, as at a second `pnpm start`. A home that never
 *   completed a start is prepared by one untimed start first. The bar is about this one.
 * - a fresh suite (bench-suite.ts: a new cluster, as the other benchmarks start one), the
 *   number earlier runs reported; its suite is returned to `all.ts` for the next benchmarks.
 * Baselines (same run): the bar, and the start of the database + S3 alone (the floor the suite
 * cannot go below). BENCH_TIMELINE=1 also prints when each step of the warm run's first
 * workflow happened, from the services' and VMs' logs.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadLocalSuiteConfig, startUp } from '@lzy/local-suite';
import type { RunningUp } from '@lzy/local-suite';
import { workflow } from '@lzy/sdk';
import type { ClientConfig } from '@lzy/sdk';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { inc } from './ops.ts';
import { printLine, timed } from './report.ts';
import { firstWorkflowTimeline } from './start-timeline.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const BAR_MS = 3000;
const line = { unit: 'ms', higherIsBetter: false, target: BAR_MS };

/** The one-op workflow whose result ends the measurement. */
async function firstResult(config: ClientConfig): Promise<void> {
  const one = await workflow('bench-first', async () => await inc(0), { config, std: quiet });
  if (one !== 1) throw new Error('first result is wrong');
}

function report(
  what: string,
  phasesMs: Record<string, number>,
  infraMs: number,
  firstOpMs: number,
  upMs: number,
): void {
  const ours = upMs + firstOpMs;
  const name = `suite start to first result (${what})`;
  printLine({ name, ours, baseline: BAR_MS, baselineName: 'bar', ...line });
  printLine({ name, ours, baseline: infraMs, baselineName: 'database + S3 start alone', ...line });
  const phases = Object.entries(phasesMs)
    .map(([phase, ms]) => `${phase} ${ms.toFixed(0)}`)
    .concat(`first workflow ${firstOpMs.toFixed(0)}`)
    .join(', ');
  process.stdout.write(`  phases (ms): ${phases}\n`);
}

/** `lzy up` on the kept home: a start (prepared once when new), the first result, the stop. */
async function benchWarmUp(): Promise<void> {
  const home = process.env.BENCH_HOME ?? join(homedir(), '.cache', 'lzy-ts', 'bench-home');
  const timeline = process.env.BENCH_TIMELINE === '1';
  const config = loadLocalSuiteConfig({
    ...process.env,
    LZY_HOME: home,
    LZY_RANDOM_PORTS: 'true',
    LZY_LOG_LEVEL: timeline ? 'info' : 'silent',
    LZY_UP_EXAMPLE: '',
  });
  const vmLogDir = join(config.logsDir, 'vms');
  const lines: string[] = [];
  const start = () =>
    startUp(config, { vmLogDir, logDestination: { write: (l: string) => lines.push(l) } });
  if (!existsSync(config.home) || !existsSync(join(config.home, 'client.json'))) {
    process.stdout.write(`preparing ${home} (its first start on this machine, not timed)\n`);
    const first = await start();
    await first.stop();
  }
  await rm(vmLogDir, { recursive: true, force: true }); // VM logs of earlier runs
  lines.length = 0;

  const started = performance.now();
  const up: RunningUp = await start();
  const upMs = performance.now() - started;
  try {
    const workflowAt = Date.now();
    const firstOpMs = await timed(() =>
      firstResult({
        endpoint: up.endpoint,
        whiteboardEndpoint: up.whiteboardEndpoint,
        user: up.user,
        keyPath: up.keyPath,
      }),
    );
    const { database, s3 } = up.phasesMs;
    report('lzy up, warm home', up.phasesMs, Math.max(database, s3), firstOpMs, upMs);
    if (timeline) {
      process.stdout.write('  first workflow, ms from its start:\n');
      for (const step of await firstWorkflowTimeline(lines, vmLogDir, workflowAt))
        process.stdout.write(`${step}\n`);
      process.stdout.write(`  +${firstOpMs.toFixed(0).padStart(5)} ms  result\n`);
    }
  } finally {
    await up.stop();
  }
}

/** Both measurements; returns the fresh suite (to reuse) after printing. */
export async function benchSuiteStart(): Promise<BenchSuite> {
  await benchWarmUp();
  const started = performance.now();
  const suite = await startBenchSuite();
  const upMs = performance.now() - started;
  try {
    const firstOpMs = await timed(() => firstResult(suite.config));
    const infraMs = suite.phasesMs.postgres + suite.phasesMs.s3;
    report('fresh cluster', suite.phasesMs, infraMs, firstOpMs, upMs);
    return suite;
  } catch (err) {
    await suite.stop();
    throw err;
  }
}

if (import.meta.main) {
  const suite = await benchSuiteStart();
  await suite.stop();
}
