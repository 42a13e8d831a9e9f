import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Logger } from '@lzy/logging';
import type { RunningCommand } from '../domain/command-process.ts';
import { killProcessGroup } from '../domain/command-process.ts';
import { parsePylzyStartupCommand } from '../domain/pylzy-startup-command.ts';
import { ForkServer } from './fork-server.ts';
import { ForkedCommand } from './forked-command.ts';

/** Servers kept at once; a new environment's server replaces the least recently used idle one. */
const MAX_SERVERS = 2;
/** Set per task (TaskRun): a server starts without them, each forked child gets them. */
const PER_TASK_VARIABLES = new Set(['LZY_MOUNT', 'LZY_TASK_ID', 'LZY_EXECUTION_ID']);

/** How a command is called: its exact environment and working directory. */
export interface CommandCall {
  env: Record<string, string>;
  cwd: string;
}

interface Entry {
  server: Promise<ForkServer | string>;
  /** The settled server, once `server` resolved to one. */
  settled: ForkServer | undefined;
  usedAt: number;
}

/**
 * The worker's Python fork servers (fork_server.py), one per op environment: the interpreter
 * `python` resolves to and the op's variables except those of one task, so every op a server
 * forks would have imported the same modules from the same files in a fresh interpreter.
 * Started lazily by the first start-up command of that environment; restarted at the next op
 * when it died or its imported files changed; an environment whose server cannot start (the
 * reason is logged once) runs its ops with `bash -c`, as does every other command.
 */
export class ForkServers {
  readonly #log: Logger;
  readonly #servers = new Map<string, Entry>();
  readonly #failed = new Map<string, string>();
  readonly #pythons = new Map<string, Promise<string | undefined>>();
  #uses = 0;
  #stopped = false;

  constructor(deps: { log: Logger }) {
    this.#log = deps.log.child({ component: 'fork-servers' });
  }

  /**
   * The start-up command (python-client-protocol §4.4) run as a fork of its environment's
   * server; undefined for any other command, or when that environment's server cannot start.
   */
  launch(command: string, call: CommandCall): RunningCommand | undefined {
    const startup = parsePylzyStartupCommand(command);
    if (startup === undefined || this.#stopped) return undefined;
    const env = serverEnvironment(call);
    const key = keyOf(env);
    if (this.#failed.has(key)) return undefined;
    return new ForkedCommand({
      server: () => this.#serverFor(key, env),
      job: { kind: 'startup', args: [startup.payload], env: call.env, cwd: call.cwd },
      fallback: { command, ...call },
      log: this.#log,
    });
  }

  /**
   * `python -c <code> <args…>` forked from the environment's server, its output collected
   * (rc 128 + n when killed by signal n); undefined when no server of that environment can run
   * it. sys.path is the server's (the start-up script's directory first), not a fresh `-c`'s.
   * @throws the signal's reason once aborted (the child is killed)
   */
  async runCode(
    code: string,
    args: string[],
    call: CommandCall,
    signal: AbortSignal,
  ): Promise<{ rc: number; stdout: string; stderr: string } | undefined> {
    if (this.#stopped) return undefined;
    const env = serverEnvironment(call);
    const server = await this.#serverFor(keyOf(env), env);
    signal.throwIfAborted();
    if (typeof server === 'string') return undefined;
    const output = { stdout: '', stderr: '' };
    const sinks = { stdout: new PassThrough(), stderr: new PassThrough() };
    const ends = (['stdout', 'stderr'] as const).map((name) => {
      sinks[name].on('data', (data: Buffer) => void (output[name] += data.toString('utf8')));
      return new Promise((resolve) => sinks[name].once('end', resolve));
    });
    let pid: number | undefined;
    const kill = () => killProcessGroup(pid, 'SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    try {
      const end = await server.run({ kind: 'code', code, args, ...call }, sinks, (started) => {
        pid = started;
        if (signal.aborted) kill();
      });
      if (end.kind !== 'exited') return undefined;
      await Promise.all(ends);
      signal.throwIfAborted();
      return { rc: end.exit.rc, ...output };
    } finally {
      signal.removeEventListener('abort', kill);
    }
  }

  /** Stops every server (and what they still run) and waits for them. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const entries = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(
      entries.map(async (entry) => {
        const server = await entry.server;
        if (typeof server !== 'string') await server.stop();
      }),
    );
  }

  async #serverFor(key: string, env: Record<string, string>): Promise<ForkServer | string> {
    for (;;) {
      const failed = this.#failed.get(key);
      if (failed !== undefined) return failed;
      if (this.#stopped) return 'the worker is stopping';
      const entry = this.#servers.get(key);
      if (entry === undefined) return this.#add(key, env);
      const server = await entry.server;
      if (typeof server === 'string') return server;
      if (server.isUsable) {
        entry.usedAt = ++this.#uses;
        return server;
      }
      // Died, or its files changed: the next op of this environment gets a new one.
      if (this.#servers.get(key) === entry) {
        this.#servers.delete(key);
        if (server.isIdle) void server.stop();
      }
    }
  }

  #add(key: string, env: Record<string, string>): Promise<ForkServer | string> {
    const entry: Entry = {
      server: this.#start(key, env),
      settled: undefined,
      usedAt: ++this.#uses,
    };
    this.#servers.set(key, entry);
    void entry.server.then((server) => {
      if (typeof server === 'string') this.#servers.delete(key);
      else entry.settled = server;
    });
    for (const [otherKey, other] of [...this.#servers].sort((a, b) => a[1].usedAt - b[1].usedAt)) {
      if (this.#servers.size <= MAX_SERVERS) break;
      if (other.settled?.isIdle !== true || otherKey === key) continue;
      this.#servers.delete(otherKey);
      void other.settled.stop();
    }
    return entry.server;
  }

  async #start(key: string, env: Record<string, string>): Promise<ForkServer | string> {
    const python = await this.#python(env.PATH ?? '');
    if (python === undefined) return this.#fail(key, undefined, 'no `python` on the op PATH');
    const started = Date.now();
    let server: ForkServer;
    try {
      server = await ForkServer.start({ python, env, log: this.#log });
    } catch (err) {
      return this.#fail(key, python, `cannot start it: ${(err as Error).message}`);
    }
    const ready = await server.ready;
    if (!ready.ok) {
      await server.stop();
      return this.#fail(key, python, ready.reason);
    }
    if (this.#stopped) {
      await server.stop();
      return 'the worker is stopping';
    }
    this.#log.info(
      { pid: server.pid, python, startMs: Date.now() - started },
      'fork server started',
    );
    void server.exited.then((exit) =>
      this.#log.info({ pid: server.pid, rc: exit.rc, signal: exit.signal }, 'fork server exited'),
    );
    return server;
  }

  #fail(key: string, python: string | undefined, reason: string): string {
    this.#failed.set(key, reason);
    this.#log.warn(
      { python, reason },
      'the fork server of a Python environment cannot start; its ops run with bash',
    );
    return reason;
  }

  /** The first executable `python` on `PATH`, as bash finds it (remembered per PATH). */
  #python(searchPath: string): Promise<string | undefined> {
    let found = this.#pythons.get(searchPath);
    if (found === undefined) {
      found = findOnPath('python', searchPath);
      this.#pythons.set(searchPath, found);
    }
    return found;
  }
}

/** The op's variables a server starts with: all but those of one task (which the child gets). */
function serverEnvironment(call: CommandCall): Record<string, string> {
  return Object.fromEntries(
    Object.entries(call.env).filter(
      // HOME is the task directory on a worker without HOME: per task too.
      ([name, value]) => !PER_TASK_VARIABLES.has(name) && value !== call.cwd,
    ),
  );
}

function keyOf(env: Record<string, string>): string {
  return JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
