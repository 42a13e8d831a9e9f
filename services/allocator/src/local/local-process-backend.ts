import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '@lzy/logging';
import type { VmBackend, VmExit, VmLaunch } from '../domain/ports.ts';

export interface LocalProcessBackendDeps {
  readonly log: Logger;
  /** SIGTERM → SIGKILL delay. */
  readonly killGraceMs: number;
  /** `<logDir>/<vmId>.log` gets the VM's stdout and stderr; undefined: our log at debug. */
  readonly logDir: string | undefined;
  /** Base environment of every VM process (the VM's own variables go on top). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
}

interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<VmExit>;
  killing: boolean;
}

/**
 * VMs as child processes of the allocator (reference §3.11, ThreadVmAllocator's successor):
 * `node <main.ts> [args]`, each in its own process group (so a worker's own children go with
 * it), output to a per-VM log file or to our log. A child that exits by itself is reported
 * through onExit from its 'exit' event (push, no polling).
 *
 * Children are detached process groups, so they outlive a crashed allocator; they then find
 * their VM deleted at the next Heartbeat (NOT_FOUND / FAILED_PRECONDITION) and exit.
 */
export class LocalProcessBackend implements VmBackend {
  readonly #deps: LocalProcessBackendDeps;
  readonly #log: Logger;
  readonly #children = new Map<string, Child>();
  readonly #listeners = new Set<(vmId: string, exit: VmExit) => void>();

  constructor(deps: LocalProcessBackendDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'local-process-backend' });
  }

  async start(launch: VmLaunch): Promise<{ pid: number | undefined }> {
    const existing = this.#children.get(launch.vmId);
    if (existing !== undefined) return { pid: existing.pid };
    const { stdio, closeFd } = this.#stdio(launch.vmId);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [launch.mainPath, ...launch.args], {
        env: { ...this.#deps.inheritedEnv, ...launch.env },
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
    if (pid === undefined) throw new Error(`VM ${launch.vmId}: the process did not start`);
    if (child.stdout) this.#pipeToLog(launch.vmId, 'stdout', child.stdout);
    if (child.stderr) this.#pipeToLog(launch.vmId, 'stderr', child.stderr);
    const exited = new Promise<VmExit>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const entry: Child = { process: child, pid, exited, killing: false };
    this.#children.set(launch.vmId, entry);
    void exited.then((exit) => this.#onExit(launch.vmId, entry, exit));
    return { pid };
  }

  #stdio(vmId: string): { stdio: StdioOptions; closeFd: () => void } {
    const { logDir } = this.#deps;
    if (logDir === undefined)
      return { stdio: ['ignore', 'pipe', 'pipe'], closeFd: () => undefined };
    mkdirSync(logDir, { recursive: true });
    const fd = openSync(join(logDir, `${vmId}.log`), 'a');
    return { stdio: ['ignore', fd, fd], closeFd: () => closeSync(fd) };
  }

  #pipeToLog(vmId: string, stream: 'stdout' | 'stderr', readable: Readable): void {
    const lines = createInterface({ input: readable, crlfDelay: Infinity });
    lines.on('line', (line) => this.#log.debug({ vmId, stream, line }, 'vm output'));
  }

  #onExit(vmId: string, child: Child, exit: VmExit): void {
    if (this.#children.get(vmId) === child) this.#children.delete(vmId);
    signalGroup(child.pid, 'SIGKILL'); // what the VM left behind in its group
    this.#log.info({ vmId, pid: child.pid, ...exit, expected: child.killing }, 'vm process exited');
    if (child.killing) return;
    for (const listener of this.#listeners) listener(vmId, exit);
  }

  async kill(vmId: string): Promise<void> {
    const child = this.#children.get(vmId);
    if (child === undefined) return;
    child.killing = true;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), this.#deps.killGraceMs);
    try {
      await child.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  onExit(listener: (vmId: string, exit: VmExit) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  running(): string[] {
    return [...this.#children.keys()];
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running().map((vmId) => this.kill(vmId)));
  }
}

/** Signals the whole process group; a group that is gone already is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}
