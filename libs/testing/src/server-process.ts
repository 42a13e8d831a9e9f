import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** How to start a test server's process. */
export interface ServerProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Run as this user (root only: PostgreSQL refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Signal for a clean stop: PostgreSQL wants SIGINT (fast shutdown), most servers SIGTERM. */
  readonly stopSignal: NodeJS.Signals;
  /**
   * Sent synchronously if the test process exits while the server still runs. PostgreSQL wants
   * SIGQUIT: its postmaster then takes the backends down too, where SIGKILL would orphan them.
   */
  readonly exitSignal: NodeJS.Signals;
  /** Removed (best effort) together with the exit kill: the server's temp dir. */
  readonly removeOnExit?: string;
}

const OUTPUT_TAIL_BYTES = 8 * 1024;
const STOP_TIMEOUT_MS = 15_000;

/**
 * A server child process owned by the test run. `exited` aborts when the process ends (so
 * readiness polling fails fast with its output), and the process is killed if the test process
 * exits without calling `stop()`: a leaked PostgreSQL keeps its port and temp dir forever.
 */
export class ServerProcess {
  private readonly opts: ServerProcessOptions;
  private readonly child: ChildProcess;
  private readonly exitedController = new AbortController();
  private readonly exitPromise: Promise<void>;
  private outputTail = '';
  private readonly killOnExit = (): void => {
    this.child.kill(this.opts.exitSignal);
    try {
      if (this.opts.removeOnExit !== undefined) {
        rmSync(this.opts.removeOnExit, { recursive: true, force: true });
      }
    } catch {
      // The dying server may still be writing; a leftover temp dir is harmless.
    }
  };

  constructor(opts: ServerProcessOptions) {
    this.opts = opts;
    this.child = spawn(opts.command, [...opts.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
    });
    const append = (chunk: Buffer): void => {
      this.outputTail = (this.outputTail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    this.exitPromise = new Promise((resolve) => {
      const onDone = (reason: string): void => {
        process.off('exit', this.killOnExit);
        this.exitedController.abort(
          new Error(`${opts.command} ${reason}; output:\n${this.outputTail}`),
        );
        resolve();
      };
      this.child.once('exit', (code, signal) => onDone(`exited (${signal ?? `code ${code}`})`));
      this.child.once('error', (err) => onDone(`failed to start: ${err.message}`));
    });
    process.on('exit', this.killOnExit);
  }

  /** Aborted (with the process output in the reason) once the process has ended. */
  get exited(): AbortSignal {
    return this.exitedController.signal;
  }

  get output(): string {
    return this.outputTail;
  }

  /** Sends the stop signal and waits for exit; escalates to SIGKILL after 15 s. Idempotent. */
  async stop(): Promise<void> {
    if (!this.exited.aborted) {
      this.child.kill(this.opts.stopSignal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exitPromise;
      clearTimeout(timer);
    }
  }
}
