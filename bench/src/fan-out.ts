/**
 * Fan-out: N independent `inc` ops in one graph (N = BENCH_FANOUT_N, default 1000) on the `s`
 * pool (8 VMs). Ours = N / wall time from submit to every result persisted. Baselines (same run):
 * the brief's bar (500 ops/s) and N bare `node -e ''` spawns, 8 at a time (what one cold
 * process per op costs on this machine with nothing else running).
 */
import { workflow } from '@lzy/sdk';
import { nodeSpawnMs } from './baselines.ts';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { inc } from './ops.ts';
import { printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const POOL_VMS = 8;

export async function benchFanOut(
  suite: BenchSuite,
  n = Number(process.env.BENCH_FANOUT_N ?? 1000),
): Promise<void> {
  let fanOutMs = 0;
  await workflow(
    'bench-fan-out',
    async (wf) => {
      await inc(0); // the portal and one worker are up
      fanOutMs = await timed(async () => {
        const results = Array.from({ length: n }, (_, i) => inc(i));
        await wf.barrier();
        if ((await results[n - 1]) !== n) throw new Error('fan-out result is wrong');
      });
    },
    { config: suite.config, std: quiet },
  );
  const spawnMs = await timed(async () => {
    let next = 0;
    const lane = async () => {
      while (next++ < n) await nodeSpawnMs();
    };
    await Promise.all(Array.from({ length: POOL_VMS }, lane));
  });
  const ours = n / (fanOutMs / 1000);
  const line = { unit: 'ops/s', higherIsBetter: true, target: 500 };
  printLine({ name: `fan-out of ${n} ops`, ours, baseline: 500, baselineName: 'bar', ...line });
  printLine({
    name: `fan-out of ${n} ops`,
    ours,
    baseline: n / (spawnMs / 1000),
    baselineName: `bare node spawns, ${POOL_VMS} at a time`,
    ...line,
  });
}

if (import.meta.main) {
  const suite = await startBenchSuite();
  try {
    await benchFanOut(suite);
  } finally {
    await suite.stop();
  }
}
