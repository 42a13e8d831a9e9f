/**
 * Every benchmark: on one suite its start (to the first result), the warm op, the fan-out +
 * reduce, op → op bandwidth and the flat cost per op; then the Python SDK's four workloads (two
 * suites of their own; skipped with a note when python/.venv is missing) and, with
 * BENCH_HEAVY=1, the 100 concurrent workflows of 10 users (a suite of its own) and the
 * 10,000-op graph of the flat cost. `pnpm --filter @lzy/bench run all`; sizes via BENCH_CHAIN_N,
 * BENCH_FANOUT_N, BENCH_BYTES, BENCH_FLAT_SIZES, BENCH_FLAT_CHAIN_SIZES, BENCH_MU_* (README).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBenchSuite } from './bench-suite.ts';
import { benchFanOut } from './fan-out.ts';
import { benchFlatCost } from './flat-cost.ts';
import { benchMultiUser } from './multi-user.ts';
import { benchOpToOp } from './op-to-op.ts';
import { benchPythonSdk } from './python-sdk.ts';
import { benchSuiteStart } from './suite-start.ts';
import { benchWarmOp } from './warm-op.ts';

const heavy = process.env.BENCH_HEAVY === '1';
const flatSizes = process.env.BENCH_FLAT_SIZES ?? (heavy ? '100,1000,10000' : '100,1000');

const suite = await benchSuiteStart();
try {
  await benchWarmOp(suite);
  await benchFanOut(suite);
  await benchOpToOp(suite);
  await benchFlatCost(suite, flatSizes.split(',').map(Number));
} finally {
  await suite.stop();
}

const venvPython = fileURLToPath(new URL('../../python/.venv/bin/python', import.meta.url));
if (process.env.LZY_BENCH_PYTHON !== undefined || existsSync(venvPython)) {
  await benchPythonSdk();
} else {
  process.stdout.write('python: skipped (no python/.venv: run `bash scripts/setup-python.sh`)\n');
}

if (heavy) {
  const muSuite = await startBenchSuite();
  try {
    await benchMultiUser(muSuite);
  } finally {
    await muSuite.stop();
  }
} else {
  process.stdout.write('multi-user: skipped (BENCH_HEAVY=1 runs it and the 10,000-op graph)\n');
}
