/**
 * Fan-out + reduce (issue 11): N no-op `inc` ops (N = BENCH_FANOUT_N, default 1000) whose
 * results one `sum` op consumes, all in one graph on the default pools (`s`: 8 VMs). Ours =
 * (N + 1) ops / wall time from the barrier (graph submitted) to the sum read back; the sum is
 * checked. Baselines (same run): the brief's bar (500 ops/s; Ray does 1,650 ops/s on this
 * workload on its own hardware, not measurable here) and N + 1 bare `node -e ''` spawns, 8 at a
 * time (what one cold process per op costs on this machine at this moment).
 */
import { workflow } from '@lzy/sdk';
import { bareSpawnsMs } from './baselines.ts';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { inc, sum } from './ops.ts';
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
    async () => {
      await inc(0); // the portal and one worker are up
      fanOutMs = await timed(async () => {
        const total = sum(...Array.from({ length: n }, (_, i) => inc(i)));
        // Σ (i + 1) for i < n
        if ((await total) !== (n * (n + 1)) / 2) throw new Error('fan-out + reduce sum is wrong');
      });
    },
    { config: suite.config, std: quiet },
  );
  const spawnMs = await bareSpawnsMs(n + 1, POOL_VMS);
  const ours = (n + 1) / (fanOutMs / 1000);
  const line = { unit: 'ops/s', higherIsBetter: true, target: 500 };
  const name = `fan-out of ${n} ops + reduce`;
  printLine({ name, ours, baseline: 500, baselineName: 'bar', ...line });
  printLine({
    name,
    ours,
    baseline: (n + 1) / (spawnMs / 1000),
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
