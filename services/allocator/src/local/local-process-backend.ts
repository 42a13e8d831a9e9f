import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { InvalidArgument } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { VmBackend, VmFailure, VmLaunch, VmRef } from '../domain/ports.ts';
import type { ClusterType, VmSpec } from '../domain/vm.ts';
import { logFileTail, readableLine } from './vm-output.ts';
import { PidWatch, findVmProcesses } from './vm-processes.ts';
import type { FoundVmProcess } from './vm-processes.ts';

/**
 * How a VM process ended: exactly one of code/signal is set, as Node's 'exit' event; both null
 * for an adopted process (not our child: its exit status is not ours to learn).
 */
interface VmExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface LocalProcessBackendDeps {
  readonly log: Logger;
  /** SIGTERM → SIGKILL delay. */
  readonly killGraceMs: number;
  /** `<logDir>/<vmId>.log` gets the VM's stdout and stderr; undefined: our log at debug. */
  readonly logDir: string | undefined;
  /** Base environment of every VM process (the VM's own variables go on top). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  /** main.ts of worker and portal VMs. */
  readonly mains: { readonly worker: string; readonly portal: string };
  /** How often an adopted VM process (not our child: no exit event) is checked. Default 1 s. */
  readonly adoptedCheckMs?: number;
}

interface Child {
  readonly pid: number;
  readonly exited: Promise<VmExit>;
  /** Settles once the exit is handled (scratch removed, failure reported). */
  handled: Promise<void>;
  /** The last lines the VM wrote (piped output; with a log dir the file's tail is read). */
  readonly lastLines: string[];
  killing: boolean;
  /** Adopted after a restart of the allocator: its exit is seen by a PidWatch. */
  readonly adopted?: PidWatch;
}

/** Lines of a VM's output kept for the report of an unexpected exit. */
const LAST_LINES = 20;

/**
 * VMs as child processes of the allocator (reference §3.11, ThreadVmAllocator's successor):
 * `node <main.ts> [args]`, each in its own process group (so a worker's own children go with
 * it), output to a per-VM log file or to our log. A child that exits by itself is reported
 * through onFailure from its 'exit' event (push, no polling).
 *
 * Children are detached process groups, so they outlive a crashed allocator (a killed local
 * suite). The next allocator adopts them (recover()): a running op goes on and its scheduler
 * reconnects to the same worker; one it cannot adopt is killed and reported lost, so its task
 * runs again on a new VM.
 */
export class LocalProcessBackend implements VmBackend {
  readonly vmsOutliveAllocator = false;
  readonly #deps: LocalProcessBackendDeps;
  readonly #log: Logger;
  readonly #children = new Map<string, Child>();
  readonly #listeners = new Set<(vmId: string, failure: VmFailure) => void>();

  constructor(deps: LocalProcessBackendDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'local-process-backend' });
  }

  /**
   * The entry point of a VM: workload `worker` or `portal` (the only workload); without
   * workloads, by cluster type (WORKER → worker, SYSTEM → portal).
   * @throws InvalidArgument for workloads this backend cannot run.
   */
  check(spec: VmSpec, clusterType: ClusterType): void {
    this.#mainOf(spec, clusterType);
  }

  #mainOf(spec: VmSpec, clusterType: ClusterType): { mainPath: string; args: string[] } {
    const { mains } = this.#deps;
    if (spec.workloads.length === 0) {
      return { mainPath: clusterType === 'WORKER' ? mains.worker : mains.portal, args: [] };
    }
    const known = spec.workloads.find((w) => w.name === 'worker' || w.name === 'portal');
    if (known === undefined || spec.workloads.length > 1) {
      const names = spec.workloads.map((w) => `'${w.name}'`).join(', ');
      throw new InvalidArgument(
        `The local allocator runs exactly one workload named 'worker' or 'portal', got ${names}`,
      );
    }
    return {
      mainPath: known.name === 'worker' ? mains.worker : mains.portal,
      args: [...known.args],
    };
  }

  async start(launch: VmLaunch): Promise<{ pid: number | undefined }> {
    const existing = this.#children.get(launch.id);
    if (existing !== undefined) return { pid: existing.pid };
    const { mainPath, args } = this.#mainOf(launch.spec, launch.clusterType);
    const { stdio, closeFd } = this.#stdio(launch.id);
    // Like a pod's emptyDir: the VM's temporary files (a worker's slot files among them) live in
    // a directory of its own, removed when the VM's process group is gone, however it ended.
    const scratch = this.#scratchDir(launch.id);
    mkdirSync(scratch, { recursive: true, mode: 0o700 });
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [mainPath, ...args], {
        env: { ...this.#deps.inheritedEnv, ...launch.env, ...launch.secretEnv, TMPDIR: scratch },
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
    if (pid === undefined) throw new Error(`VM ${launch.id}: the process did not start`);
    const lastLines: string[] = [];
    if (child.stdout) this.#pipeToLog(launch.id, 'stdout', child.stdout, lastLines);
    if (child.stderr) this.#pipeToLog(launch.id, 'stderr', child.stderr, lastLines);
    const exited = new Promise<VmExit>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const entry: Child = {
      pid,
      exited,
      handled: Promise.resolve(),
      lastLines,
      killing: false,
    };
    this.#children.set(launch.id, entry);
    this.#log.info({ vmId: launch.id, pid, main: mainPath }, 'vm process started');
    entry.handled = exited.then((exit) => this.#onExit(launch.id, entry, exit));
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

  #pipeToLog(
    vmId: string,
    stream: 'stdout' | 'stderr',
    readable: Readable,
    lastLines: string[],
  ): void {
    const lines = createInterface({ input: readable, crlfDelay: Infinity });
    lines.on('line', (line) => {
      lastLines.push(readableLine(line));
      if (lastLines.length > LAST_LINES) lastLines.shift();
      this.#log.debug({ vmId, stream, line }, 'vm output');
    });
  }

  #scratchDir(vmId: string): string {
    return join(this.#deps.inheritedEnv.TMPDIR ?? tmpdir(), `lzy-vm-${vmId}`);
  }

  async #onExit(vmId: string, child: Child, exit: VmExit): Promise<void> {
    if (this.#children.get(vmId) === child) this.#children.delete(vmId);
    signalGroup(child.pid, 'SIGKILL'); // what the VM left behind in its group
    this.#log.info({ vmId, pid: child.pid, ...exit, expected: child.killing }, 'vm process exited');
    await rm(this.#scratchDir(vmId), { recursive: true, force: true }).catch((err: unknown) =>
      this.#log.warn({ err, vmId }, 'cannot remove the scratch directory of a vm'),
    );
    if (child.killing) return;
    // The user who loses this VM must see why: its last output goes into the failure reason
    // (which reaches the task's error) and into our log at warn level.
    const { logDir } = this.#deps;
    const lastOutput =
      logDir === undefined ? [...child.lastLines] : await logFileTail(logDir, vmId, LAST_LINES);
    const how =
      exit.signal !== null
        ? `with signal ${exit.signal}`
        : exit.code !== null
          ? `with code ${exit.code}`
          : '(adopted after an allocator restart, so its exit status is unknown)';
    this.#log.warn({ vmId, pid: child.pid, ...exit, lastOutput }, 'vm process exited unexpectedly');
    const tail = lastOutput.length === 0 ? '' : `; its last output:\n${lastOutput.join('\n')}`;
    const failure = { reason: `process exited ${how}${tail}` };
    for (const listener of this.#listeners) listener(vmId, failure);
  }

  async kill(vm: VmRef): Promise<void> {
    const child = this.#children.get(vm.id);
    if (child === undefined) return;
    child.killing = true;
    child.adopted?.hurry();
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), this.#deps.killGraceMs);
    try {
      await child.handled;
    } finally {
      clearTimeout(timer);
    }
  }

  onFailure(listener: (vmId: string, failure: VmFailure) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * After a restart of the allocator (a killed local suite): each live VM whose process still
   * runs (found by its LZY_VM_ID and main.ts, see findVmProcesses) is adopted when its output
   * goes to its log file here, which it keeps appending to; the op it runs goes on and its
   * worker answers the scheduler again. A VM whose output went into a pipe to the dead
   * allocator (no log dir) cannot be adopted (its next write fails): it is killed. Returns the
   * VMs without an adopted process: lost, so the scheduler runs their tasks again.
   */
  async recover(live: readonly VmRef[]): Promise<string[]> {
    const missing = live.filter((vm) => !this.#children.has(vm.id));
    const { mains } = this.#deps;
    const found = await findVmProcesses(new Set(missing.map((vm) => vm.id)), [
      mains.worker,
      mains.portal,
    ]);
    const lost: string[] = [];
    for (const vm of missing) {
      const process = found.get(vm.id);
      if (process !== undefined && this.#canAdopt(process)) this.#adopt(process);
      else lost.push(vm.id);
    }
    const unadoptable = [...found.values()].filter((p) => !this.#children.has(p.vmId));
    await Promise.all(unadoptable.map((p) => this.#killUnadopted(p)));
    return lost;
  }

  #canAdopt(vm: FoundVmProcess): boolean {
    const { logDir } = this.#deps;
    return logDir !== undefined && vm.stdout === join(logDir, `${vm.vmId}.log`);
  }

  #adopt(vm: FoundVmProcess): void {
    const watch = new PidWatch(vm.pid, vm.startTicks, this.#deps.adoptedCheckMs ?? 1_000);
    const entry: Child = {
      pid: vm.pid,
      exited: watch.exited.then(() => ({ code: null, signal: null })),
      handled: Promise.resolve(),
      lastLines: [],
      killing: false,
      adopted: watch,
    };
    this.#children.set(vm.vmId, entry);
    entry.handled = entry.exited.then((exit) => this.#onExit(vm.vmId, entry, exit));
    this.#log.info({ vmId: vm.vmId, pid: vm.pid, main: vm.main }, 'vm process adopted');
  }

  /** A VM process of the previous allocator that cannot be adopted: gone before it is reported. */
  async #killUnadopted(vm: FoundVmProcess): Promise<void> {
    this.#log.warn(
      { vmId: vm.vmId, pid: vm.pid, stdout: vm.stdout },
      'killing a vm process that cannot be adopted',
    );
    const watch = new PidWatch(vm.pid, vm.startTicks, 50);
    signalGroup(vm.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(vm.pid, 'SIGKILL'), this.#deps.killGraceMs);
    await watch.exited;
    clearTimeout(timer);
    signalGroup(vm.pid, 'SIGKILL'); // what it left behind in its group
    await rm(this.#scratchDir(vm.vmId), { recursive: true, force: true }).catch(() => undefined);
  }

  running(): string[] {
    return [...this.#children.keys()];
  }

  async stop(): Promise<void> {
    await Promise.all(this.running().map((id) => this.kill({ id, clusterType: 'WORKER' })));
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
