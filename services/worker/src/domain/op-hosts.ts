import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@lzy/logging';
import type { CommandExit, RunningCommand } from './command-process.ts';
import { OpHost } from './op-host.ts';
import type { HostCallRequest } from './op-host.ts';
import { parseSdkOpCommand } from './sdk-op-command.ts';
import type { SdkOpCommand } from './sdk-op-command.ts';

export interface OpHostsDeps {
  log: Logger;
  /** Working directory of a host process between calls (each call runs in its task directory). */
  cwd: string;
  /** Environment of a host process (each call sets its own, see TaskRun). */
  env: Record<string, string>;
  /**
   * The worker's own node binary and SDK op host, used when the command's (the client's) are not
   * on this machine: a remote worker running shipped op modules. Default: this process's node
   * and the SDK of the workspace the worker runs from (libs/sdk, as in the images).
   */
  ownHost?: { nodePath: string; hostPath: string };
}

const OWN_HOST = {
  nodePath: process.execPath,
  hostPath: fileURLToPath(new URL('../../../../libs/sdk/src/op-host.ts', import.meta.url)),
};

/** A host that reports its modules changed this many times in a row fails the call. */
const MAX_STALE_RETRIES = 2;
/** ExecuteResponse.rc when LZY itself failed (reference §7.2). */
const RC_INTERNAL_ERROR = 98;

/**
 * The warm op hosts of this worker per (node binary, SDK host file): one per op call running at
 * once (the scheduler packs several tasks on a VM), started at the first call that finds none
 * free and kept while they live. Isolation: a worker serves one user and workflow (Init refuses
 * others), so a host only ever runs that workflow's ops, one at a time; module state, timers and
 * globals of an op stay in the host for later ops of the same workflow. A host that dies
 * (process.exit in an op, a crash, StopTask) is replaced at the next call.
 */
export class OpHosts {
  readonly #deps: OpHostsDeps;
  readonly #hosts = new Map<string, OpHost[]>();
  /** Hosts running a call (taken synchronously, so two calls never share one). */
  readonly #busy = new Set<OpHost>();
  /** Host keys whose node binary and host file were found (checked once, not per task). */
  readonly #present = new Set<string>();
  #stopped = false;

  constructor(deps: OpHostsDeps) {
    this.#deps = deps;
  }

  /**
   * The SDK op call `command` is (parseSdkOpCommand), with the node binary and host file to run
   * it: the command's when they exist here, else the worker's own (ownHost); undefined: run the
   * command with bash (neither exists, or not an SDK call).
   */
  async recognize(command: string): Promise<SdkOpCommand | undefined> {
    const parsed = parseSdkOpCommand(command);
    if (parsed === undefined) return undefined;
    const own = { ...parsed, ...(this.#deps.ownHost ?? OWN_HOST) };
    // The client's SDK when this machine has it (the local suite), else the worker's own.
    for (const op of [parsed, own]) {
      const key = hostKey(op);
      if (this.#present.has(key)) return op;
      try {
        await Promise.all([
          access(op.hostPath, constants.R_OK),
          access(op.nodePath, constants.X_OK),
        ]);
      } catch {
        continue;
      }
      this.#present.add(key);
      return op;
    }
    return undefined;
  }

  /**
   * Starts a host of the worker's own node and SDK (ownHost) before any call, so that its node
   * start and module loading overlap what comes before the first SDK op (Init, the inputs)
   * instead of delaying it. The local suite's clients name this same host; a call naming
   * another (a client's SDK elsewhere on the machine) starts its own. Like any host it runs no
   * op before a call, and a worker serves one user and workflow. Nothing when the files are
   * missing or a host of that key runs already.
   */
  async prestart(): Promise<void> {
    const own = this.#deps.ownHost ?? OWN_HOST;
    const key = hostKey(own);
    try {
      await Promise.all([
        access(own.hostPath, constants.R_OK),
        access(own.nodePath, constants.X_OK),
      ]);
    } catch {
      return;
    }
    if (this.#stopped || this.#hosts.has(key)) return;
    this.#present.add(key);
    this.#startHost(key, own);
  }

  /** Runs the call on a warm host (a new one if none is usable). */
  start(op: SdkOpCommand, call: { env: Record<string, string>; cwd: string }): RunningCommand {
    return new HostedCommand(this, { argv: op.argv, ...call }, op);
  }

  /** A free usable host for `op`'s node and host file (started if none), marked busy. */
  acquire(op: SdkOpCommand): OpHost {
    const key = hostKey(op);
    const hosts = this.#hosts.get(key) ?? [];
    for (const stale of hosts.filter((h) => !h.isUsable && !this.#busy.has(h)))
      stale.killGroup('SIGKILL');
    const free = hosts.find((h) => h.isUsable && !this.#busy.has(h));
    const host = free ?? this.#startHost(key, op);
    this.#busy.add(host);
    return host;
  }

  /** The call on `host` ended: it may take the next one. */
  release(host: OpHost): void {
    this.#busy.delete(host);
  }

  #startHost(key: string, op: { nodePath: string; hostPath: string }): OpHost {
    const log = this.#deps.log.child({ component: 'op-host' });
    const host = new OpHost({ nodePath: op.nodePath, hostPath: op.hostPath, ...this.#deps, log });
    this.#hosts.set(key, [...(this.#hosts.get(key) ?? []), host]);
    log.info({ pid: host.pid, hostPath: op.hostPath }, 'op host started');
    void host.exited.then(async (exit) => {
      log.info({ pid: host.pid, rc: exit.rc, signal: exit.signal }, 'op host exited');
      const left = (this.#hosts.get(key) ?? []).filter((h) => h !== host);
      if (left.length === 0) this.#hosts.delete(key);
      else this.#hosts.set(key, left);
      // It never started (its files gone?): look for them again at the next call.
      if (!(await host.ready)) this.#present.delete(key);
    });
    return host;
  }

  /** Kills every host and waits for them to exit (worker shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const hosts = [...this.#hosts.values()].flat();
    for (const host of hosts) host.killGroup('SIGKILL');
    await Promise.all(hosts.map((h) => h.exited));
  }
}

function hostKey(op: { nodePath: string; hostPath: string }): string {
  return `${op.nodePath}\0${op.hostPath}`;
}

/** One task's call on a warm host, seen by TaskRun like a command process. */
class HostedCommand implements RunningCommand {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<CommandExit>;
  readonly #hosts: OpHosts;
  readonly #request: HostCallRequest;
  #host: OpHost | undefined;
  #killedWith: NodeJS.Signals | undefined;
  #ended = false;

  constructor(hosts: OpHosts, request: HostCallRequest, op: SdkOpCommand) {
    this.#hosts = hosts;
    this.#request = request;
    this.exited = this.#drive(op);
  }

  get pid(): number | undefined {
    return this.#host?.pid;
  }

  /**
   * Kills the host (and what the op started) while this call runs: the next call gets a fresh
   * one. A no-op once the call ended: the host may be running another task's call by then.
   */
  killGroup(signal: NodeJS.Signals): void {
    if (this.#ended) return;
    this.#killedWith = signal;
    this.#host?.killGroup(signal);
  }

  /** Nothing: the host stays for the next call; a dead host's group was killed by OpHost. */
  killLeftovers(): void {}

  async #drive(op: SdkOpCommand): Promise<CommandExit> {
    try {
      for (let attempt = 0; ; attempt++) {
        const host = this.#hosts.acquire(op);
        this.#host = host;
        if (this.#killedWith !== undefined) host.killGroup(this.#killedWith);
        const end = await host
          .call(this.#request, { stdout: this.stdout, stderr: this.stderr })
          .finally(() => this.#hosts.release(host));
        if (end.kind === 'done') return { rc: end.rc, signal: undefined };
        if (end.kind === 'stale') {
          if (attempt < MAX_STALE_RETRIES) continue;
          this.stderr.write('[LZY-WORKER] the op host found its modules changing on every start\n');
          return { rc: RC_INTERNAL_ERROR, signal: undefined };
        }
        if (this.#killedWith === undefined) {
          const how =
            end.exit.signal === undefined
              ? `exit code ${end.exit.rc}`
              : `signal ${end.exit.signal}`;
          this.stderr.write(
            `[LZY-WORKER] the op host process (pid ${host.pid}) ended with ${how} while running the op (process.exit or a crash); the next op starts a new host\n`,
          );
        }
        return end.exit;
      }
    } finally {
      this.#ended = true;
      this.stdout.end();
      this.stderr.end();
    }
  }
}
