import { spawn } from 'node:child_process';
import { pgCommitter } from './bench-suite.ts';
import { timed } from './report.ts';

/** A bare `node -e ''` start to exit (what one cold op process costs at the least). */
export async function nodeSpawnMs(): Promise<number> {
  return timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
        child.on('error', reject);
        child.on('exit', () => resolve());
      }),
  );
}

/**
 * The warm-op baseline: a bare node spawn plus one PG commit, averaged over `n` rounds. This is
 * what "run a process and record its outcome durably" costs on this machine with nothing else.
 */
export async function spawnAndCommitMs(dbUrl: string, n: number): Promise<number> {
  const db = await pgCommitter(dbUrl);
  try {
    let total = 0;
    for (let i = 0; i < n; i++) total += (await nodeSpawnMs()) + (await timed(() => db.commit()));
    return total / n;
  } finally {
    await db.close();
  }
}
