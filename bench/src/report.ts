/** One line of a benchmark's result: ours, the baseline of the same run, the ratio. */
export interface BenchLine {
  name: string;
  ours: number;
  baseline: number;
  unit: string;
  /** true: bigger is better (throughput); the ratio is then ours / baseline, else the same. */
  higherIsBetter: boolean;
  baselineName: string;
  /** The bar of the brief in the same unit, if any. */
  target?: number;
}

export function printLine(line: BenchLine): void {
  const ratio = line.ours / line.baseline;
  const met =
    line.target === undefined
      ? ''
      : (line.higherIsBetter ? line.ours >= line.target : line.ours <= line.target)
        ? `  bar ${fmt(line.target)} ${line.unit}: met`
        : `  bar ${fmt(line.target)} ${line.unit}: NOT met`;
  process.stdout.write(
    `${line.name}: ${fmt(line.ours)} ${line.unit}  | baseline (${line.baselineName}) ${fmt(line.baseline)} ${line.unit}  | ratio ${ratio.toFixed(2)}x${met}\n`,
  );
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(n >= 10 ? 1 : 2);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Time of `fn` in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * The cost of one graph of `ops` ops as a line through two measurements of different lengths:
 * `perOpMs`, the marginal cost of one more op (the slope), and `fixedMs`, what a graph costs
 * whatever its length (the intercept: submit, first poll, completion).
 * @throws Error when both have the same number of ops (no slope)
 */
export function linearCost(
  short: { ops: number; ms: number },
  long: { ops: number; ms: number },
): { perOpMs: number; fixedMs: number } {
  if (short.ops === long.ops) throw new Error(`two chains of ${short.ops} ops have no slope`);
  const perOpMs = (long.ms - short.ms) / (long.ops - short.ops);
  return { perOpMs, fixedMs: long.ms - perOpMs * long.ops };
}
