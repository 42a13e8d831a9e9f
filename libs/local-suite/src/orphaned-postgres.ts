import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '@lzy/logging';
import { processIdentity, stopProcess } from './proc-identity.ts';
import type { ProcessIdentity } from './proc-identity.ts';

/**
 * PostgreSQL's shutdown modes by signal: SIGINT = fast (ends sessions, checkpoints, removes
 * postmaster.pid), SIGQUIT = immediate (recovery at the next start), SIGKILL as the last resort.
 */
const POSTGRES_STOP = {
  steps: [
    { signal: 'SIGINT', graceMs: 15_000 },
    { signal: 'SIGQUIT', graceMs: 5_000 },
    { signal: 'SIGKILL', graceMs: 5_000 },
  ],
} as const;

/** Whether `argv` is a postmaster serving `dataDir` (how startPostgres runs it: `postgres -D <dir> …`). */
export function isPostmasterOf(argv: readonly string[], dataDir: string): boolean {
  const d = argv.indexOf('-D');
  return basename(argv[0] ?? '') === 'postgres' && d >= 0 && argv[d + 1] === dataDir;
}

/**
 * Before the suite starts its PostgreSQL on `dataDir`: a postmaster left running by a suite that
 * was killed (SIGKILL, OOM) still holds the cluster, and a new one refuses to start (`lock file
 * "postmaster.pid" already exists`). Stops it (fast shutdown first) when postmaster.pid names a
 * live process that really is a postmaster of this directory; a pid reused by anything else is
 * never signalled, and its stale postmaster.pid is removed so PostgreSQL does not refuse.
 * Data is kept: the next start reuses the cluster. Resolves true when one was stopped.
 * @throws Error when the orphan does not go even after SIGKILL.
 */
export async function stopOrphanedPostgres(dataDir: string, log: Logger): Promise<boolean> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const pid = await readPid(lockFile);
  if (pid === undefined) return false;
  const found = await processIdentity(pid);
  if (found === undefined || !isPostmasterOf(found.argv, dataDir)) {
    // Dead, or the pid is someone else's now: PostgreSQL would refuse a live foreign pid.
    if (found !== undefined) {
      log.warn({ pid, lockFile }, 'postmaster.pid names a process that is not our PostgreSQL');
      await rm(lockFile, { force: true });
    }
    return false;
  }
  log.warn({ pid, dataDir }, 'stopping the PostgreSQL a killed suite left running');
  await stopOrFail(found, `PostgreSQL (pid ${pid}) of ${dataDir}`);
  return true;
}

async function stopOrFail(found: ProcessIdentity, what: string): Promise<void> {
  if (!(await stopProcess(found, POSTGRES_STOP))) {
    throw new Error(`${what} left by a killed suite does not stop; stop it and start again`);
  }
}

/** The first line of postmaster.pid (PostgreSQL's own lock file), if there is one. */
async function readPid(lockFile: string): Promise<number | undefined> {
  try {
    const first = (await readFile(lockFile, 'utf8')).split('\n')[0] ?? '';
    const pid = Number(first.trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
