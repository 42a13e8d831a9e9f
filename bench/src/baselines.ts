import { spawn } from 'node:child_process';
import { pgCommitter } from './bench-suite.ts';
import { timed } from './report.ts';

/** A command that starts an interpreter and exits at once: the least one cold op process costs. */
export interface BareCommand {
  command: string;
  args: string[];
}

/** `node -e ''` with this process's Node (TypeScript ops run on it). */
export const BARE_NODE: BareCommand = { command: process.execPath, args: ['-e', ''] };

/** `<python> -c pass` (Python ops run on the client's minor version). */
export function barePython(python: string): BareCommand {
  return { command: python, args: ['-c', 'pass'] };
}

/** One start to exit of `bare` (default `node -e ''`). */
export async function bareSpawnMs(bare: BareCommand = BARE_NODE): Promise<number> {
  return timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(bare.command, bare.args, { stdio: 'ignore' });
        child.on('error', reject);
        child.on('exit', () => resolve());
      }),
  );
}

/** Wall time of `count` bare spawns, `lanes` at a time (a pool of `lanes` cold VMs). */
export async function bareSpawnsMs(
  count: number,
  lanes: number,
  bare: BareCommand = BARE_NODE,
): Promise<number> {
  return timed(async () => {
    let next = 0;
    const lane = async () => {
      while (next++ < count) await bareSpawnMs(bare);
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  });
}

/**
 * The warm-op baseline: a bare spawn (default node) plus one PG commit, averaged over `n` rounds.
 * This is what "run a process and record its outcome durably" costs on this machine with nothing
 * else.
 */
export async function spawnAndCommitMs(
  dbUrl: string,
  n: number,
  bare: BareCommand = BARE_NODE,
): Promise<number> {
  const db = await pgCommitter(dbUrl);
  try {
    let total = 0;
    for (let i = 0; i < n; i++)
      total += (await bareSpawnMs(bare)) + (await timed(() => db.commit()));
    return total / n;
  } finally {
    await db.close();
  }
}
