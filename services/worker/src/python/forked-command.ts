import { constants } from 'node:os';
import { PassThrough } from 'node:stream';
import type { Logger } from '@lzy/logging';
import { CommandProcess, killProcessGroup } from '../domain/command-process.ts';
import type { CommandExit, CommandSpec, RunningCommand } from '../domain/command-process.ts';
import type { ForkJob } from './fork-protocol.ts';
import type { ForkServer } from './fork-server.ts';

/** ExecuteResponse.rc when LZY itself failed (reference §7.2). */
const RC_INTERNAL_ERROR = 98;

export interface ForkedCommandSpec {
  /** The environment's usable server, or why there is none (the command then runs with bash). */
  server: () => Promise<ForkServer | string>;
  job: ForkJob;
  /** The same command as `bash -c`, for when no fork can run it. */
  fallback: CommandSpec;
  log: Logger;
}

/**
 * A task's start-up command run as a child of the environment's fork server, seen by TaskRun
 * like a command process: the child leads its own process group (Stop kills it and what it
 * started), its stdout/stderr end when it and its leftovers closed them. When no server can
 * fork it (none starts, it refuses, it changed), the command runs with `bash -c` instead, into
 * the same streams; only a server that dies while its child runs fails the task (rc 98).
 */
export class ForkedCommand implements RunningCommand {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<CommandExit>;
  readonly #spec: ForkedCommandSpec;
  #pid: number | undefined;
  #bash: CommandProcess | undefined;
  #killedWith: NodeJS.Signals | undefined;
  #onKill: () => void = () => undefined;

  constructor(spec: ForkedCommandSpec) {
    this.#spec = spec;
    this.exited = this.#drive();
  }

  get pid(): number | undefined {
    return this.#bash?.pid ?? this.#pid;
  }

  killGroup(signal: NodeJS.Signals): void {
    this.#killedWith ??= signal;
    if (this.#bash !== undefined) return this.#bash.killGroup(signal);
    if (this.#pid !== undefined) return killProcessGroup(this.#pid, signal);
    this.#onKill();
  }

  killLeftovers(): void {
    this.killGroup('SIGKILL');
  }

  async #drive(): Promise<CommandExit> {
    const killed = new Promise<'killed'>((resolve) => (this.#onKill = () => resolve('killed')));
    const server = await Promise.race([this.#spec.server(), killed]);
    if (server === 'killed' || this.#killedWith !== undefined) return this.#neverStarted();
    if (typeof server === 'string') return this.#runWithBash(server);
    const sinks = { stdout: this.stdout, stderr: this.stderr };
    const end = await server.run(this.#spec.job, sinks, (pid) => {
      this.#pid = pid;
      this.#spec.log.info({ pid, server: server.pid }, 'op forked');
      if (this.#killedWith !== undefined) killProcessGroup(pid, this.#killedWith);
    });
    switch (end.kind) {
      case 'exited':
        return end.exit;
      case 'refused':
        this.#spec.log.info({ reason: end.reason }, 'fork server refused the op');
        if (this.#killedWith !== undefined) return this.#neverStarted();
        return this.#runWithBash(end.reason);
      case 'lost':
        this.#spec.log.warn({ pid: this.#pid, reason: end.reason }, 'forked op lost its server');
        // Written before the killed child's sockets can end the streams.
        this.stderr.write(`[LZY-WORKER] ${end.reason} while the op ran; the op was killed\n`);
        if (this.#pid === undefined) {
          this.stdout.end();
          this.stderr.end();
        }
        return { rc: RC_INTERNAL_ERROR, signal: undefined };
    }
  }

  #runWithBash(why: string): Promise<CommandExit> {
    this.#spec.log.debug({ why }, 'start-up command runs with bash');
    const bash = new CommandProcess(this.#spec.fallback);
    this.#bash = bash;
    bash.stdout.pipe(this.stdout);
    bash.stderr.pipe(this.stderr);
    return bash.exited;
  }

  /** Stopped before anything ran: ends as a command killed by that signal would. */
  #neverStarted(): CommandExit {
    this.stdout.end();
    this.stderr.end();
    const signal = this.#killedWith ?? 'SIGKILL';
    return { rc: 128 + (constants.signals[signal] ?? 0), signal };
  }
}
