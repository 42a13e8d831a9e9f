/**
 * Warm no-op op in a chain: after one op warmed a worker, a chain of N `inc` ops in one graph
 * (each consumes its predecessor's result). Ours = chain time / N. Baseline (same run): a bare
 * `node -e ''` spawn + one PostgreSQL commit (the least a cold op process with durable state
 * costs). Also: N ops awaited one by one (one graph each, SDK round trip included).
 * Then, unless BENCH_PROFILE=0, where the time of one op goes (chain-profile.ts): a shorter
 * chain first (BENCH_PROFILE_SHORT_N, 5) gives the marginal cost per op and the graph's fixed
 * cost; /metrics around both chains count DB statements and RPCs; the trace (when this process
 * records one from suite start: `startBenchTracing`) gives ms per service and phase.
 */
import { workflow } from '@lzy/sdk';
import { spawnAndCommitMs } from './baselines.ts';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { BENCH_PROCESS, startBenchTracing } from './bench-tracing.ts';
import type { BenchTracing } from './bench-tracing.ts';
import { measureChain, printChainProfile } from './chain-profile.ts';
import type { ChainRun, ChainTrace } from './chain-profile.ts';
import { inc } from './ops.ts';
import { printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };

/** How long VM processes get to export the chain's spans (they export about once a second). */
const TRACE_WAIT_MS = 10_000;

/**
 * Runs the benchmark on `suite` and prints its lines, then (`profile`) the profile; `tracing`:
 * the trace file this process and the suite's VMs write, if it was started before the suite.
 */
export async function benchWarmOp(
  suite: BenchSuite,
  n = Number(process.env.BENCH_CHAIN_N ?? 20),
  tracing?: BenchTracing,
  profile = process.env.BENCH_PROFILE !== '0',
) {
  const shortN = Math.min(Number(process.env.BENCH_PROFILE_SHORT_N ?? 5), n - 1);
  const profiled = profile && shortN >= 1;
  const chain = async (ops: number) => {
    let r = inc(0);
    for (let i = 1; i < ops; i++) r = inc(r);
    if ((await r) !== ops) throw new Error('chain result is wrong');
  };
  const measure = (ops: number) => measureChain(suite.metricsAddresses, ops, () => chain(ops));
  let short: ChainRun | undefined;
  let long: ChainRun | undefined;
  let chainMs = 0;
  let oneByOneMs = 0;
  await workflow(
    'bench-warm-op',
    async () => {
      await inc(0); // warms a worker
      if (profiled) {
        short = await measure(shortN);
        long = await measure(n);
        chainMs = long.ms;
      } else {
        chainMs = await timed(() => chain(n));
      }
      oneByOneMs = await timed(async () => {
        let x = 0;
        for (let i = 0; i < n; i++) x = await inc(x);
      });
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
  if (short !== undefined && long !== undefined)
    await printChainProfile(short, long, await traceOf(tracing, long));
  else if (profile) process.stdout.write(`profile: skipped (needs BENCH_CHAIN_N ≥ 2)\n`);
}

/** The trace once every op of `long` has its worker span in the file (or TRACE_WAIT_MS passed). */
async function traceOf(
  tracing: BenchTracing | undefined,
  long: ChainRun,
): Promise<ChainTrace | undefined> {
  if (tracing === undefined) return undefined;
  const { startMs, endMs } = long.window;
  const { spans, complete } = await tracing.waitForSpans(
    (all) =>
      all.filter((s) => s.name === 'worker.task' && s.startMs >= startMs && s.startMs < endMs)
        .length >= long.ops,
    TRACE_WAIT_MS,
  );
  return { spans, inProcess: BENCH_PROCESS, complete };
}

if (import.meta.main) {
  // Before the suite: its VMs take LZY_TRACE_FILE from this process's environment.
  const tracing = process.env.BENCH_PROFILE === '0' ? undefined : await startBenchTracing();
  try {
    const suite = await startBenchSuite();
    try {
      await benchWarmOp(suite, undefined, tracing);
    } finally {
      await suite.stop();
    }
  } finally {
    await tracing?.stop();
  }
}
