/**
 * Every benchmark on one suite: its start (to the first result), the warm op, the fan-out and
 * op → op bandwidth. `pnpm --filter @lzy/bench run all`; sizes via BENCH_CHAIN_N,
 * BENCH_FANOUT_N, BENCH_BYTES.
 */
import { benchFanOut } from './fan-out.ts';
import { benchOpToOp } from './op-to-op.ts';
import { benchSuiteStart } from './suite-start.ts';
import { benchWarmOp } from './warm-op.ts';

const suite = await benchSuiteStart();
try {
  await benchWarmOp(suite);
  await benchFanOut(suite);
  await benchOpToOp(suite);
} finally {
  await suite.stop();
}
