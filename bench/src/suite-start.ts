/**
 * Suite start to first result: PostgreSQL (fresh cluster), versitygw, every service, the user,
 * then a one-op workflow (portal VM + a cold worker). Ours = wall time of all of it. Baselines
 * (same run): the bar (3 s) and the start of PostgreSQL + S3 alone (the infrastructure floor
 * the suite cannot go below).
 */
import { workflow } from '@lzy/sdk';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { inc } from './ops.ts';
import { printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };

/** Starts a suite and runs the first op; returns the suite (to reuse) after printing. */
export async function benchSuiteStart(): Promise<BenchSuite> {
  const started = performance.now();
  const suite = await startBenchSuite();
  const upMs = performance.now() - started;
  try {
    const firstOpMs = await timed(async () => {
      const one = await workflow('bench-first', async () => await inc(0), {
        config: suite.config,
        std: quiet,
      });
      if (one !== 1) throw new Error('first result is wrong');
    });
    const ours = upMs + firstOpMs;
    const phases = Object.entries(suite.phasesMs)
      .map(([phase, ms]) => `${phase} ${ms.toFixed(0)}`)
      .concat(`first workflow ${firstOpMs.toFixed(0)}`)
      .join(', ');
    const line = { unit: 'ms', higherIsBetter: false, target: 3000 };
    printLine({
      name: 'suite start to first result',
      ours,
      baseline: 3000,
      baselineName: 'bar',
      ...line,
    });
    printLine({
      name: 'suite start to first result',
      ours,
      baseline: suite.phasesMs.postgres + suite.phasesMs.s3,
      baselineName: 'PostgreSQL + S3 start alone',
      ...line,
    });
    process.stdout.write(`  phases (ms): ${phases}\n`);
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
