import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { Writable } from 'node:stream';
import type { Logger } from '@lzy/logging';
import { PipedOutput } from './vm-output.ts';

/**
 * How a VM process ended: exactly one of code/signal is set, as Node's 'exit' event; both null
 * for an adopted process (not our child: its exit status is not ours to learn).
 */
export interface VmExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** A started VM (or standby) process. */
export interface VmProcess {
  readonly pid: number;
  readonly exited: Promise<VmExit>;
  /** Its piped output (empty when it goes to a log file). */
  readonly output: PipedOutput;
  /** Its stdin when asked for a pipe (standbys), else null. */
  readonly stdin: Writable | null;
  /**
   * With `loadedSignal`: settles once the process closed its fd 3 (a standby, when its modules
   * are loaded) or ended; else settled.
   */
  readonly loaded: Promise<void>;
}

export interface SpawnVmOptions {
  /** `node` runs these. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The file its stdout and stderr append to; undefined: piped into our log (PipedOutput). */
  readonly logFile: string | undefined;
  /** 'pipe': a standby's private hand-over channel; 'ignore': /dev/null. */
  readonly stdin: 'pipe' | 'ignore';
  /** Give it a pipe as fd 3, which it closes to say it is loaded (see VmProcess.loaded). */
  readonly loadedSignal?: boolean;
  /** Its name in our log until told otherwise (PipedOutput.name). */
  readonly name: string;
  readonly log: Logger;
}

/**
 * Starts `node <argv>` as its own process group (detached: a worker's children go with it, and
 * it outlives a crashed allocator to be adopted), resolving once it runs.
 * @throws Error when it cannot start.
 */
export async function spawnVmProcess(options: SpawnVmOptions): Promise<VmProcess> {
  const { stdio, closeFd } = stdioOf(options);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...options.argv], {
      env: { ...options.env },
      detached: true,
      stdio,
    });
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([err]) => Promise.reject(err as Error)),
    ]);
  } finally {
    closeFd();
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: the process did not start`);
  const output = new PipedOutput(options.log, options.name);
  if (child.stdout) output.attach('stdout', child.stdout);
  if (child.stderr) output.attach('stderr', child.stderr);
  // A standby that died before its hand-over was written: its exit is reported, not EPIPE.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<VmExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const signal = child.stdio[3];
  const loaded =
    signal instanceof Readable
      ? new Promise<void>((resolve) => {
          signal.on('close', () => resolve());
          signal.on('error', () => resolve());
          signal.resume();
        })
      : Promise.resolve();
  return { pid, exited, output, stdin: child.stdin, loaded };
}

function stdioOf(options: SpawnVmOptions): { stdio: StdioOptions; closeFd: () => void } {
  const extra = options.loadedSignal === true ? (['pipe'] as const) : [];
  if (options.logFile === undefined)
    return { stdio: [options.stdin, 'pipe', 'pipe', ...extra], closeFd: () => undefined };
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  return { stdio: [options.stdin, fd, fd, ...extra], closeFd: () => closeSync(fd) };
}

/** Signals the whole process group; a group that is gone already is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}
