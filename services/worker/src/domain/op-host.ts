import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '@lzy/logging';
import { exitOf, killProcessGroup } from './command-process.ts';
import type { CommandExit } from './command-process.ts';
import { EndMarkSplitter } from './end-mark-splitter.ts';
import type { StdStreamName } from './task-record.ts';

export interface OpHostSpec {
  nodePath: string;
  /** The SDK's op-host.ts (libs/sdk/src/op-host.ts: the other side of this protocol). */
  hostPath: string;
  /** Working directory and environment of the host process itself (each call sets its own). */
  cwd: string;
  env: Record<string, string>;
  log: Logger;
}

/** One op call: op-runner.ts arguments, and the environment and directory it runs with. */
export interface HostCallRequest {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** How a call ended: the runner's rc; the host found its modules changed; the host died. */
export type HostCallEnd =
  { kind: 'done'; rc: number } | { kind: 'stale' } | { kind: 'exited'; exit: CommandExit };

type HostMessage =
  { kind: 'ready' } | { kind: 'done'; id: number; rc: number } | { kind: 'stale'; id: number };

interface ActiveCall {
  id: number;
  sink: Record<StdStreamName, Writable>;
  splitters: Record<StdStreamName, EndMarkSplitter>;
  marked: Record<StdStreamName, boolean>;
  rc: number | undefined;
  resolve: (end: HostCallEnd) => void;
}

/** Output the host wrote outside a call (before its first one, or late): given to the next call. */
const PENDING_LIMIT_BYTES = 64 * 1024;
const STREAMS: readonly StdStreamName[] = ['stdout', 'stderr'];

/**
 * One warm op host process (`node op-host.ts`) in its own process group, running one call at a
 * time over IPC. Every byte it writes between a call's start and that call's end mark is the
 * call's stdout/stderr; the end marks are written by the host after the op finished, so the
 * call ends only when its answer and both marks arrived (or the host died).
 */
export class OpHost {
  readonly #child: ChildProcess;
  readonly #log: Logger;
  readonly #stdio: Record<StdStreamName, Readable>;
  /** true once the host said it is ready; false if it ended first. */
  readonly ready: Promise<boolean>;
  readonly exited: Promise<CommandExit>;
  #exit: CommandExit | undefined;
  #closed = false;
  #stale = false;
  #call: ActiveCall | undefined;
  #pending: Array<{ stream: StdStreamName; data: Buffer }> = [];
  #pendingBytes = 0;
  #nextId = 1;

  constructor(spec: OpHostSpec) {
    this.#log = spec.log;
    this.#child = spawn(spec.nodePath, [spec.hostPath], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const { stdout, stderr } = this.#child;
    if (stdout === null || stderr === null) throw new Error('spawn gave no stdout/stderr pipes');
    this.#stdio = { stdout, stderr };
    for (const name of STREAMS) this.#stdio[name].on('data', (d: Buffer) => this.#onData(name, d));
    let markReady: (ready: boolean) => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.exited = new Promise((resolve) => {
      const ended = (exit: CommandExit) => {
        if (this.#exit !== undefined) return;
        this.#exit = exit;
        markReady(false);
        // Whatever the ops started (holding the host's pipes) ends with it, as after a command.
        killProcessGroup(this.#child.pid, 'SIGKILL');
        resolve(exit);
      };
      this.#child.once('exit', (code, signal) => ended(exitOf(code, signal)));
      this.#child.once('error', (err) => {
        this.#log.warn({ err }, 'op host could not start');
        this.#keepPending(
          'stderr',
          Buffer.from(`[LZY-WORKER] cannot start the op host: ${err.message}\n`),
        );
        ended({ rc: 127, signal: undefined });
        this.#onClose();
      });
    });
    this.#child.once('close', () => this.#onClose());
    this.#child.on('message', (m: HostMessage) => {
      if (m.kind === 'ready') markReady(true);
      else this.#onAnswer(m);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Alive and its modules current, so it may take the next call. */
  get isUsable(): boolean {
    return this.#exit === undefined && !this.#stale;
  }

  /**
   * Runs one call; its output goes to `sink` (output the host wrote between calls first).
   * Never rejects: a host that dies ends the call with its exit.
   * @throws Error if a call is already running on this host (OpHosts gives each call its own)
   */
  async call(
    request: HostCallRequest,
    sink: Record<StdStreamName, Writable>,
  ): Promise<HostCallEnd> {
    if (this.#call !== undefined) throw new Error('the op host is already running a call');
    await this.ready;
    const id = this.#nextId++;
    const endMark = `\u0000LZY-OP-HOST-END ${randomBytes(12).toString('hex')} ${id}\u0000`;
    const mark = Buffer.from(endMark);
    return new Promise<HostCallEnd>((resolve) => {
      const call: ActiveCall = {
        id,
        sink,
        splitters: { stdout: new EndMarkSplitter(mark), stderr: new EndMarkSplitter(mark) },
        marked: { stdout: false, stderr: false },
        rc: undefined,
        resolve,
      };
      this.#call = call;
      const pending = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      for (const { stream, data } of pending) this.#write(stream, call.sink[stream], data);
      if (this.#closed) return this.#endWithExit(call);
      // A closed channel fails the send; the host's exit then ends the call.
      this.#child.send({ kind: 'run', id, ...request, endMark }, (err) => {
        if (err !== null) this.#log.warn({ err }, 'sending a call to the op host failed');
      });
    });
  }

  killGroup(signal: NodeJS.Signals): void {
    killProcessGroup(this.#child.pid, signal);
  }

  #onData(name: StdStreamName, data: Buffer): void {
    const call = this.#call;
    if (call === undefined || call.marked[name]) return this.#keepPending(name, data);
    const { data: mine, rest } = call.splitters[name].push(data);
    if (mine.length > 0) this.#write(name, call.sink[name], mine);
    if (rest === undefined) return;
    call.marked[name] = true;
    if (rest.length > 0) this.#keepPending(name, rest);
    this.#finishIfComplete(call);
  }

  #onAnswer(answer: Exclude<HostMessage, { kind: 'ready' }>): void {
    const call = this.#call;
    if (call?.id !== answer.id) return;
    if (answer.kind === 'stale') {
      // The host exits by itself; nothing of this call ran.
      this.#stale = true;
      this.#settle(call, { kind: 'stale' });
      return;
    }
    call.rc = answer.rc;
    this.#finishIfComplete(call);
  }

  #finishIfComplete(call: ActiveCall): void {
    if (call.rc === undefined || !call.marked.stdout || !call.marked.stderr) return;
    this.#settle(call, { kind: 'done', rc: call.rc });
  }

  #settle(call: ActiveCall, end: HostCallEnd): void {
    this.#call = undefined;
    // A pipe paused for this call's full sink flows again (into the next call's pending).
    for (const name of STREAMS) this.#stdio[name].resume();
    call.resolve(end);
  }

  /** The host ended and its pipes are drained: a running call ends with the host's exit. */
  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const call = this.#call;
    if (call !== undefined) this.#endWithExit(call);
  }

  #endWithExit(call: ActiveCall): void {
    for (const name of STREAMS) {
      const held = call.splitters[name].flush();
      if (held.length > 0 && !call.marked[name]) this.#write(name, call.sink[name], held);
    }
    this.#settle(call, { kind: 'exited', exit: this.#exit ?? { rc: 128, signal: undefined } });
  }

  /** Writes to a call's sink; a full sink pauses the host's pipe (the host then blocks). */
  #write(name: StdStreamName, sink: Writable, data: Buffer): void {
    if (sink.write(data)) return;
    const source = this.#stdio[name];
    source.pause();
    sink.once('drain', () => source.resume());
  }

  #keepPending(stream: StdStreamName, data: Buffer): void {
    this.#pending.push({ stream, data });
    this.#pendingBytes += data.length;
    while (this.#pendingBytes > PENDING_LIMIT_BYTES && this.#pending.length > 1) {
      this.#pendingBytes -= this.#pending.shift()?.data.length ?? 0;
    }
  }
}
