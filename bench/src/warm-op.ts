/**
 * Warm no-op op in a chain: after one op warmed a worker, a chain of N `inc` ops in one graph
 * (each consumes its predecessor's result). Ours = chain time / N. Baseline (same run): a bare
 * `node -e ''` spawn + one PostgreSQL commit (the least a cold op process with durable state
 * costs). Also: N ops awaited one by one (one graph each, SDK round trip included).
 */
import { workflow } from '@lzy/sdk';
import { spawnAndCommitMs } from './baselines.ts';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { inc } from './ops.ts';
import { printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };

export async function benchWarmOp(suite: BenchSuite, n = Number(process.env.BENCH_CHAIN_N ?? 20)) {
  let chainMs = 0;
  let oneByOneMs = 0;
  await workflow(
    'bench-warm-op',
    async (wf) => {
      await inc(0); // warms a worker
      chainMs = await timed(async () => {
        let r = inc(0);
        for (let i = 1; i < n; i++) r = inc(r);
        if ((await r) !== n) throw new Error('chain result is wrong');
      });
      oneByOneMs = await timed(async () => {
        let x = 0;
        for (let i = 0; i < n; i++) x = await inc(x);
      });
      void wf;
    },
    { config: suite.config, std: quiet },
  );
  const baseline = await spawnAndCommitMs(suite.scratchDbUrl, n);
  const base = {
    unit: 'ms',
    higherIsBetter: false,
    baseline,
    baselineName: 'node spawn + PG commit',
  };
  printLine({ name: `warm op in a chain of ${n} (per op)`, ours: chainMs / n, target: 5, ...base });
  printLine({ name: `warm op awaited one by one (per op)`, ours: oneByOneMs / n, ...base });
}

if (import.meta.main) {
  const suite = await startBenchSuite();
  try {
    await benchWarmOp(suite);
  } finally {
    await suite.stop();
  }
}
