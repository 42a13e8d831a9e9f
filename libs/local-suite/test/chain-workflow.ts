/**
 * A user's TypeScript SDK program for crash-restart.test.ts: a chain of CHAIN_LENGTH ops of
 * ~1.5 s each, each taking the previous op's result. Every op run appends its number to the
 * marker file (argv[2]) when it starts, so the test counts executions of each op; the program
 * prints `result <n>` when the workflow completes. Run with this Node:
 * `node chain-workflow.ts <marker file>` (LZY_HOME or LZY_CLIENT_CONFIG points at the suite).
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { op, workflow } from '../../sdk/src/index.ts';

export const CHAIN_LENGTH = 6;

/** Op n (1-based) gets n - 1 and returns n. */
export const step = op(
  import.meta.url,
  'step',
  async (previous: number, marker: string) => {
    appendFileSync(marker, `${previous + 1}\n`);
    await sleep(1_500);
    return previous + 1;
  },
  { pool: 's' },
);

// The worker imports this module to run an op: only the entry point starts the workflow.
if (import.meta.main) {
  const marker = process.argv[2];
  if (marker === undefined) throw new Error('usage: chain-workflow.ts <marker file>');
  const result = await workflow('crash-restart-chain', async () => {
    let value = step(0, marker);
    for (let n = 2; n <= CHAIN_LENGTH; n++) value = step(value, marker);
    return await value;
  });
  console.log(`result ${result}`);
}
