import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';

/** How a command ended: its exit code, or 128 + signal number when killed (as bash reports). */
export interface CommandExit {
  rc: number;
  signal: NodeJS.Signals | undefined;
}

export interface CommandSpec {
  command: string;
  cwd: string;
  env: Record<string, string>;
}

/** A task's running command, however it runs (`bash -c`, or a call in the warm op host). */
export interface RunningCommand {
  readonly pid: number | undefined;
  /** The command's output; each ends once the command ended and its output was read. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<CommandExit>;
  /** Signals the command and everything it started; a command already gone is fine. */
  killGroup(signal: NodeJS.Signals): void;
  /** After `exited`: ends what the command left running (holding its pipes). */
  killLeftovers(): void;
}

/** `128 + signal number` as bash reports a killed command. */
export function exitOf(code: number | null, signal: NodeJS.Signals | null): CommandExit {
  const signo = signal === null ? 0 : (constants.signals[signal] ?? 0);
  return { rc: code ?? 128 + signo, signal: signal ?? undefined };
}

/** Signals the process group led by `pid`; a group that is already gone is fine. */
export function killProcessGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * A user command run as `bash -c <command>` in its own process group, so Stop (and the end of
 * the task) reaches everything it started. stdio: no stdin, piped stdout/stderr.
 */
export class CommandProcess implements RunningCommand {
  readonly #child: ChildProcess;
  readonly exited: Promise<CommandExit>;
  readonly stdout: Readable;
  readonly stderr: Readable;

  constructor(spec: CommandSpec) {
    this.#child = spawn('bash', ['-c', spec.command], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { stdout, stderr } = this.#child;
    if (stdout === null || stderr === null) throw new Error('spawn gave no stdout/stderr pipes');
    this.stdout = stdout;
    this.stderr = stderr;
    this.exited = new Promise((resolve, reject) => {
      this.#child.once('error', reject);
      this.#child.once('exit', (code, signal) => resolve(exitOf(code, signal)));
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  killGroup(signal: NodeJS.Signals): void {
    killProcessGroup(this.#child.pid, signal);
  }

  killLeftovers(): void {
    this.killGroup('SIGKILL');
  }
}
