import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@lzy/logging';
import { exitOf, killProcessGroup } from '../domain/command-process.ts';
import type { CommandExit } from '../domain/command-process.ts';
import type { StdStreamName } from '../domain/task-record.ts';
import { readMessages, readOutputHeader, runRequest } from './fork-protocol.ts';
import type { ForkJob, ServerMessage } from './fork-protocol.ts';

/** The Python side of the protocol (its docstring describes it). */
const SERVER_PROGRAM = fileURLToPath(new URL('./fork_server.py', import.meta.url));

export interface ForkServerSpec {
  /** The environment's interpreter: what `python` resolves to on the op's PATH. */
  python: string;
  /** The op's environment without the variables of one task. */
  env: Record<string, string>;
  log: Logger;
}

/**
 * How a run ended: refused (nothing ran; `stale` when files the server imported changed), the
 * child's exit, or lost (the server died while the child ran or was being forked: the child
 * was killed, its exit status is gone with its parent).
 */
export type ForkRunEnd =
  | { kind: 'refused'; reason: string; stale: boolean }
  | { kind: 'exited'; exit: CommandExit }
  | { kind: 'lost'; reason: string };

interface Run {
  sinks: Record<StdStreamName, Writable>;
  pid: number | undefined;
  /** Output sockets that arrived before `started`: piped once the child surely runs. */
  waiting: Array<{ stream: StdStreamName; socket: Socket }>;
  /**
   * Output sockets accepted so far. The server connects both before it forks, but this side
   * may accept them after the child's `exited`: the run is kept until both arrived.
   */
  arrived: number;
  sockets: Socket[];
  ended: boolean;
  onStarted: (pid: number) => void;
  resolve: (end: ForkRunEnd) => void;
}

/** `true` once the server imported the start-up script's imports; else why it cannot serve. */
export type ForkServerReady = { ok: true } | { ok: false; reason: string };

const SIGNAL_NAMES = new Map(
  Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
/** Server output kept for the reason of a failed start. */
const TAIL_BYTES = 4096;

/**
 * One fork server process (fork_server.py) for one Python environment, in its own process group.
 * Each run is a child forked from it whose stdout/stderr are Unix sockets this side accepted
 * (the kind of fd `bash -c` commands get from the worker too), so output flows straight from the
 * child to the sinks, never through the server.
 */
export class ForkServer {
  readonly ready: Promise<ForkServerReady>;
  readonly exited: Promise<CommandExit>;
  readonly #child: ChildProcess;
  readonly #listener: Server;
  readonly #scratch: string;
  readonly #token: string;
  readonly #log: Logger;
  readonly #runs = new Map<number, Run>();
  #nextId = 1;
  #usable = true;
  #exitSeen = false;
  #listenerClosed = false;
  #outputTail = '';

  private constructor(spec: ForkServerSpec, scratch: string, listener: Server) {
    this.#scratch = scratch;
    this.#listener = listener;
    this.#log = spec.log;
    this.#token = randomBytes(16).toString('hex');
    listener.on('connection', (socket) => this.#onConnection(socket));
    this.#child = spawn(spec.python, ['-u', SERVER_PROGRAM, scratch, this.#token], {
      // As bash runs the command's `python`: sys.executable is found on PATH from argv[0].
      argv0: 'python',
      cwd: scratch,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const control = this.#child.stdio[3] as Socket | null;
    const { stdout, stderr } = this.#child;
    if (control === null || stdout === null || stderr === null)
      throw new Error('spawn gave no control channel or output pipes');
    for (const stream of [stdout, stderr]) this.#keepOutput(stream);
    let settleReady: (ready: ForkServerReady) => void = () => undefined;
    this.ready = new Promise((resolve) => (settleReady = resolve));
    readMessages(control, (message) => {
      if (message.ev === 'ready') {
        this.#log.info(
          { pid: message.pid, modules: message.modules, watchedFiles: message.watched },
          'fork server ready',
        );
        settleReady({ ok: true });
      } else if (message.ev === 'failed') {
        this.#usable = false;
        settleReady({ ok: false, reason: message.reason });
      } else this.#onRunMessage(message);
    });
    this.exited = new Promise((resolve) => {
      let done = false;
      const ended = (exit: CommandExit) => {
        if (done) return;
        done = true;
        this.#usable = false;
        const how = exit.signal === undefined ? `exit code ${exit.rc}` : `signal ${exit.signal}`;
        settleReady({ ok: false, reason: `the fork server ended (${how}): ${this.#tail()}` });
        this.#onServerGone(`the fork server ended (${how})`);
        this.#exitSeen = true;
        this.#closeListenerIfDone();
        resolve(exit);
      };
      this.#child.once('error', (err) => {
        this.#outputTail += `cannot start ${spec.python}: ${err.message}`;
        ended({ rc: 127, signal: undefined });
      });
      // 'close': the control channel is drained too, so every `exited` it carried arrived.
      this.#child.once('close', (code, signal) => ended(exitOf(code, signal)));
    });
  }

  /**
   * Starts the server: a private directory holding the socket the children's output connects
   * to, then `python -u fork_server.py`. Await `ready` before the first run.
   */
  static async start(spec: ForkServerSpec): Promise<ForkServer> {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'lzy-fork-'));
    const listener = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(path.join(scratch, 's'), resolve);
      });
      return new ForkServer(spec, scratch, listener);
    } catch (err) {
      listener.close();
      await rm(scratch, { recursive: true, force: true });
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Alive, started, and its imported files unchanged: it may take the next run. */
  get isUsable(): boolean {
    return this.#usable;
  }

  get isIdle(): boolean {
    return this.#runs.size === 0;
  }

  /**
   * Forks a child for `job`; its output goes to `sinks` (each ended when the child and what it
   * started closed it). `onStarted` gets the child's pid, which leads its process group.
   * Never rejects. A refused run wrote nothing to the sinks and left them open.
   */
  run(
    job: ForkJob,
    sinks: Record<StdStreamName, Writable>,
    onStarted: (pid: number) => void,
  ): Promise<ForkRunEnd> {
    if (!this.#usable)
      return Promise.resolve({ kind: 'refused', reason: 'the fork server is gone', stale: false });
    const id = this.#nextId++;
    return new Promise<ForkRunEnd>((resolve) => {
      this.#runs.set(id, {
        sinks,
        pid: undefined,
        waiting: [],
        arrived: 0,
        sockets: [],
        ended: false,
        onStarted,
        resolve,
      });
      const control = this.#child.stdio[3] as Socket;
      // A closed channel fails the write; the server's exit then ends the run.
      control.write(runRequest(id, job));
    });
  }

  /** Kills the server and every child still running, and waits for the server to end. */
  async stop(): Promise<void> {
    this.#usable = false;
    for (const run of this.#runs.values()) killProcessGroup(run.pid, 'SIGKILL');
    killProcessGroup(this.#child.pid, 'SIGKILL');
    await this.exited;
    // Output that did not come yet will not come now.
    for (const [id, run] of this.#runs) {
      this.#runs.delete(id);
      for (const socket of run.sockets) socket.unpipe().destroy();
      for (const sink of Object.values(run.sinks)) if (!sink.writableEnded) sink.end();
    }
    this.#closeListenerIfDone();
  }

  #onRunMessage(message: Exclude<ServerMessage, { ev: 'ready' | 'failed' }>): void {
    const run = this.#runs.get(message.id);
    if (run === undefined) return;
    if (message.ev === 'started') {
      run.pid = message.pid;
      run.onStarted(message.pid);
      for (const { stream, socket } of run.waiting.splice(0)) socket.pipe(run.sinks[stream]);
      return;
    }
    if (message.ev === 'refused') {
      // Its sockets (if any were connected) are destroyed when they arrive: no run has the id.
      this.#runs.delete(message.id);
      if (message.stale) this.#usable = false;
      for (const { socket } of run.waiting) socket.destroy();
      run.resolve({ kind: 'refused', reason: message.reason, stale: message.stale });
      return;
    }
    const signal = message.signal === undefined ? null : (SIGNAL_NAMES.get(message.signal) ?? null);
    const code = message.signal === undefined ? (message.code ?? 0) : null;
    this.#end(message.id, run);
    run.resolve({ kind: 'exited', exit: exitOf(code, signal) });
  }

  /**
   * The server is gone: running children lose their exit status and are killed (their output
   * sockets still arrive: they were connected before the fork). A run not yet started may or
   * may not have forked: it is lost too, never run again with bash.
   */
  #onServerGone(reason: string): void {
    for (const [id, run] of this.#runs) {
      if (run.ended) continue;
      if (run.pid === undefined) {
        this.#runs.delete(id);
        for (const { socket } of run.waiting) socket.destroy();
      } else {
        killProcessGroup(run.pid, 'SIGKILL');
        this.#end(id, run);
      }
      run.resolve({ kind: 'lost', reason });
    }
  }

  /** The run ended: forgotten once both its output sockets arrived. */
  #end(id: number, run: Run): void {
    run.ended = true;
    if (run.arrived < 2) return;
    this.#runs.delete(id);
    this.#closeListenerIfDone();
  }

  /** A child's stdout or stderr, piped into its run's sink once the child surely runs. */
  #onConnection(socket: Socket): void {
    socket.on('error', (err) => this.#log.warn({ err }, 'fork server output socket failed'));
    readOutputHeader(socket, (header) => {
      const run = header?.token === this.#token ? this.#runs.get(header.id) : undefined;
      if (header === undefined || run === undefined) return void socket.destroy();
      run.arrived += 1;
      run.sockets.push(socket);
      if (run.pid === undefined) run.waiting.push({ stream: header.stream, socket });
      else socket.pipe(run.sinks[header.stream]);
      if (run.ended) this.#end(header.id, run);
    });
  }

  /** The server writes nothing when it works; what it writes is kept for the log. */
  #keepOutput(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (data: string) => {
      this.#outputTail = (this.#outputTail + data).slice(-TAIL_BYTES);
      this.#log.warn({ output: data.slice(0, TAIL_BYTES) }, 'fork server wrote output');
    });
  }

  #tail(): string {
    return this.#outputTail.trim().split('\n').slice(-10).join('\n');
  }

  /** After the server ended and every run's output arrived: the listener and its directory go. */
  #closeListenerIfDone(): void {
    if (this.#exitSeen && this.#runs.size === 0 && !this.#listenerClosed) {
      this.#listenerClosed = true;
      this.#listener.close();
      void rm(this.#scratch, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
