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

/**
 * A user command run as `bash -c <command>` in its own process group, so Stop (and the end of
 * the task) reaches everything it started. stdio: no stdin, piped stdout/stderr.
 */
export class CommandProcess {
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
      this.#child.once('exit', (code, signal) => {
        const signo = signal === null ? 0 : (constants.signals[signal] ?? 0);
        resolve({ rc: code ?? 128 + signo, signal: signal ?? undefined });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Signals the whole process group; a group that is already gone is fine. */
  killGroup(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}
