import { spawn } from 'node:child_process';
import { EnvironmentError } from './environment-error.ts';

/** A held lock; `release` is idempotent and resolves once the lock is free for others. */
export interface HeldLock {
  release(): Promise<void>;
}

// Holds an exclusive flock(2) on fd 9 of a `cat` that lives until its stdin closes. Node has no
// flock; a lock held by a process that reads our pipe is released by the kernel whenever we let
// go, crash or are killed, so a dead worker can never leave a stale lock behind (no pid files).
const HOLDER =
  'exec 9>>"$1" || exit 2; flock -n 9 || { echo wait; flock 9 || exit 2; }; echo held; exec cat >/dev/null';

/**
 * Takes the exclusive lock of `lockPath` (created if missing, never deleted), shared by every
 * process on this machine. Calls `onWait` once if another holder makes us wait.
 * @throws EnvironmentError if flock(1) is missing; the signal's reason on abort (no lock held)
 */
export async function acquireFileLock(
  lockPath: string,
  onWait: () => Promise<void>,
  signal: AbortSignal,
): Promise<HeldLock> {
  signal.throwIfAborted();
  const child = spawn('bash', ['-c', HOLDER, 'lzy-env-lock', lockPath], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const stderr: Buffer[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  const kill = () => child.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  try {
    let buffered = '';
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buffered += chunk.toString('utf8');
      if (buffered.includes('wait\n')) {
        buffered = buffered.replace('wait\n', '');
        await onWait();
      }
      if (buffered.includes('held\n')) break;
    }
    signal.throwIfAborted();
    if (!buffered.includes('held\n')) {
      await exited;
      throw new EnvironmentError(
        `cannot lock ${lockPath}: ${Buffer.concat(stderr).toString('utf8').trim() || 'flock failed'}`,
      );
    }
  } catch (err) {
    kill();
    throw err;
  } finally {
    signal.removeEventListener('abort', kill);
  }
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        child.stdin.end();
        await exited;
      })()),
  };
}
