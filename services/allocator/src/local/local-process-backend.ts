import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgument } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { VmBackend, VmFailure, VmLaunch, VmRef } from '../domain/ports.ts';
import type { ClusterType, VmSpec } from '../domain/vm.ts';
import { LAST_LINES, logFileTail } from './vm-output.ts';
import { PidWatch, findVmProcesses } from './vm-processes.ts';
import type { FoundVmProcess } from './vm-processes.ts';
import { signalGroup, spawnVmProcess } from './vm-spawn.ts';
import type { VmExit, VmProcess } from './vm-spawn.ts';
import { VmStandbys } from './vm-standbys.ts';

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
  /**
   * Standby processes kept per main (see VmStandbys): `entry` is vm-standby-main.ts, `mains` the
   * main.ts files of the pools there are. Undefined or perMain 0: every VM starts its own process.
   */
  readonly standby?: {
    readonly entry: string;
    readonly mains: readonly string[];
    readonly perMain: number;
    /** Delay of a replacement after a standby is taken (VmStandbysDeps.refillDelayMs). */
    readonly refillDelayMs: number;
  };
  /** NODE_COMPILE_CACHE of VM processes (see the allocator's config); undefined: none. */
  readonly compileCacheDir?: string;
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

/**
 * VMs as child processes of the allocator (reference §3.11, ThreadVmAllocator's successor):
 * `node <main.ts> [args]`, each in its own process group (so a worker's own children go with
 * it), output to a per-VM log file or to our log. A child that exits by itself is reported
 * through onFailure from its 'exit' event (push, no polling). With standbys (VmStandbys), a VM
 * is a standby process handed its environment instead: the same process from then on.
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
  /** What every VM process starts with, before its own variables. */
  readonly #baseEnv: Readonly<Record<string, string>>;
  readonly #standbys: VmStandbys | undefined;

  constructor(deps: LocalProcessBackendDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'local-process-backend' });
    this.#baseEnv = {
      ...deps.inheritedEnv,
      ...(deps.compileCacheDir === undefined ? {} : { NODE_COMPILE_CACHE: deps.compileCacheDir }),
    };
    const { standby } = deps;
    this.#standbys =
      standby === undefined || standby.perMain === 0
        ? undefined
        : new VmStandbys({
            log: deps.log,
            ...standby,
            env: this.#baseEnv,
            logDir: deps.logDir,
            killGraceMs: deps.killGraceMs,
          });
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
    // Like a pod's emptyDir: the VM's temporary files (a worker's slot files among them) live in
    // a directory of its own, removed when the VM's process group is gone, however it ended.
    const scratch = this.#scratchDir(launch.id);
    mkdirSync(scratch, { recursive: true, mode: 0o700 });
    const env = { ...this.#baseEnv, ...launch.env, ...launch.secretEnv, TMPDIR: scratch };
    const standby = await this.#standbys?.assign(mainPath, launch.id, {
      env,
      args,
      scratchDir: scratch,
    });
    const { logDir } = this.#deps;
    const vm: VmProcess =
      standby ??
      (await spawnVmProcess({
        argv: [mainPath, ...args],
        env,
        logFile: logDir === undefined ? undefined : join(logDir, `${launch.id}.log`),
        stdin: 'ignore',
        name: launch.id,
        log: this.#deps.log,
      }));
    const entry: Child = {
      pid: vm.pid,
      exited: vm.exited,
      handled: Promise.resolve(),
      lastLines: vm.output.lastLines,
      killing: false,
    };
    this.#children.set(launch.id, entry);
    this.#log.info(
      { vmId: launch.id, pid: vm.pid, main: mainPath, standby: standby !== undefined },
      'vm process started',
    );
    entry.handled = vm.exited.then((exit) => this.#onExit(launch.id, entry, exit));
    return { pid: vm.pid };
  }

  #scratchDir(vmId: string): string {
    return join(this.#scratchBase(), `lzy-vm-${vmId}`);
  }

  #scratchBase(): string {
    return this.#deps.inheritedEnv.TMPDIR ?? tmpdir();
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
      logDir === undefined
        ? [...child.lastLines]
        : await logFileTail(join(logDir, `${vmId}.log`), LAST_LINES);
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
   * At start, and after a restart of the allocator (a killed local suite): starts the standby
   * processes; each live VM whose process still runs (found by its main.ts and its LZY_VM_ID, or
   * for a VM that was a standby its scratch directory, see findVmProcesses) is adopted when its
   * output goes to its log file here, which it keeps appending to; the op it runs goes on and
   * its worker answers the scheduler again. A VM whose output went into a pipe to the dead
   * allocator (no log dir) cannot be adopted (its next write fails): it is killed. Returns the
   * VMs without an adopted process: lost, so the scheduler runs their tasks again. (Standbys of
   * the dead allocator ended by themselves: their stdin closed.)
   */
  async recover(live: readonly VmRef[]): Promise<string[]> {
    this.#standbys?.start();
    const missing = live.filter((vm) => !this.#children.has(vm.id));
    const { mains, standby } = this.#deps;
    const found = await findVmProcesses(new Set(missing.map((vm) => vm.id)), {
      mains: [mains.worker, mains.portal],
      standbyEntry: standby?.entry,
      scratchBase: this.#scratchBase(),
    });
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
    await this.#standbys?.stop();
    await Promise.all(this.running().map((id) => this.kill({ id, clusterType: 'WORKER' })));
  }
}
