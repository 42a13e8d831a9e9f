/**
 * Flat cost per op (issue 12): one graph of N independent `inc` ops for each N of
 * BENCH_FLAT_SIZES (default 100,1000,10000), and one chain of N `inc` ops (each consumes its
 * predecessor's result) for each N of BENCH_FLAT_CHAIN_SIZES (default 10,100), all in one
 * workflow whose pool `s` VMs were warmed first. Ours = wall time from the barrier (graph
 * submitted, arguments uploaded by the client) to the graph completed (every result persisted),
 * divided by N; a few results are read back and checked afterwards (not timed). Baselines (same
 * run): each shape's smallest graph (so the ratio of the biggest is e.g. 10k/100, which should stay
 * near 1), and for the smallest one bare `node -e ''` spawns, 8 at a time, per op.
 * A graph that does not complete within BENCH_FLAT_TIMEOUT_MS (default 40 min) fails the run,
 * naming the graph and how many of its ops were done.
 */
import type { ProgressEvent, Workflow } from '@lzy/sdk';
import { workflow } from '@lzy/sdk';
import { bareSpawnsMs } from './baselines.ts';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { inc } from './ops.ts';
import { printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const POOL_VMS = 8;

function sizesOf(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined || value.trim() === '') return fallback;
  return value.split(',').map((s) => Number(s.trim()));
}

/** The state of the graph running now, for a timeout's message. */
interface Watch {
  last: ProgressEvent | undefined;
}

export async function benchFlatCost(
  suite: BenchSuite,
  fanOutSizes = sizesOf(process.env.BENCH_FLAT_SIZES, [100, 1000, 10_000]),
  chainSizes = sizesOf(process.env.BENCH_FLAT_CHAIN_SIZES, [10, 100]),
  timeoutMs = Number(process.env.BENCH_FLAT_TIMEOUT_MS ?? 40 * 60_000),
): Promise<void> {
  const fanOutMs = new Map<number, number>();
  const chainMs = new Map<number, number>();
  const watch: Watch = { last: undefined };
  await workflow(
    'bench-flat-cost',
    async (wf) => {
      // Every VM of pool `s` up and warm before the first timed graph.
      await Promise.all(Array.from({ length: 2 * POOL_VMS }, (_, i) => inc(i)));
      for (const n of fanOutSizes) {
        fanOutMs.set(
          n,
          await withTimeout(timeoutMs, watch, `${n} independent ops`, () => independent(wf, n)),
        );
        process.stderr.write(`  flat cost: graph of ${n} independent ops done\n`);
      }
      for (const n of chainSizes) {
        chainMs.set(n, await withTimeout(timeoutMs, watch, `a chain of ${n} ops`, () => chain(n)));
        process.stderr.write(`  flat cost: chain of ${n} ops done\n`);
      }
    },
    { config: suite.config, std: quiet, onProgress: (event) => (watch.last = event) },
  );
  const smallest = Math.min(...fanOutSizes);
  const spawnPerOpMs = (await bareSpawnsMs(smallest, POOL_VMS)) / smallest;
  printShape('independent ops', fanOutMs, {
    baseline: spawnPerOpMs,
    name: `bare node spawns, ${POOL_VMS} at a time`,
  });
  printShape('chain', chainMs, undefined);
}

/** N independent ops in one graph: ms from the barrier to the graph completed. */
async function independent(wf: Workflow, n: number): Promise<number> {
  const results = Array.from({ length: n }, (_, i) => inc(i));
  const ms = await timed(() => wf.barrier());
  for (const i of [0, Math.floor(n / 2), n - 1]) {
    if ((await results[i]) !== i + 1) throw new Error(`result ${i} of ${n} is wrong`);
  }
  return ms;
}

/** A chain of N ops in one graph: ms from the barrier to its last result read. */
async function chain(n: number): Promise<number> {
  return timed(async () => {
    let r = inc(0);
    for (let i = 1; i < n; i++) r = inc(r);
    if ((await r) !== n) throw new Error(`chain of ${n}: wrong result`);
  });
}

async function withTimeout(
  timeoutMs: number,
  watch: Watch,
  what: string,
  run: () => Promise<number>,
): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const ops = watch.last?.ops ?? [];
      const count = (state: string) => ops.filter((op) => op.state === state).length;
      reject(
        new Error(
          `the graph of ${what} did not complete within ${timeoutMs} ms (graph ` +
            `${watch.last?.graphId ?? '?'}: ${count('done')} done, ${count('running')} running, ` +
            `${count('waiting')} waiting of ${ops.length})`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function printShape(
  shape: string,
  msBySize: ReadonlyMap<number, number>,
  smallestBaseline: { baseline: number; name: string } | undefined,
): void {
  const sizes = [...msBySize.keys()].sort((a, b) => a - b);
  const first = sizes[0];
  if (first === undefined) return;
  const perOp = (n: number) => (msBySize.get(n) ?? Number.NaN) / n;
  const line = { unit: 'ms/op', higherIsBetter: false };
  if (smallestBaseline !== undefined) {
    printLine({
      name: `flat cost, ${shape}, graph of ${first}`,
      ours: perOp(first),
      baseline: smallestBaseline.baseline,
      baselineName: smallestBaseline.name,
      ...line,
    });
  } else {
    process.stdout.write(
      `flat cost, ${shape}, graph of ${first}: ${perOp(first).toFixed(2)} ms/op\n`,
    );
  }
  for (const n of sizes.slice(1)) {
    printLine({
      name: `flat cost, ${shape}, graph of ${n}`,
      ours: perOp(n),
      baseline: perOp(first),
      baselineName: `graph of ${first}`,
      ...line,
    });
  }
}

if (import.meta.main) {
  const suite = await startBenchSuite();
  try {
    await benchFlatCost(suite);
  } finally {
    await suite.stop();
  }
}
