import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@lzy/logging';
import { encodeHandOver } from './vm-hand-over.ts';
import type { VmHandOver } from './vm-hand-over.ts';
import { LAST_LINES, logFileTail } from './vm-output.ts';
import { signalGroup, spawnVmProcess } from './vm-spawn.ts';
import type { VmProcess } from './vm-spawn.ts';

export interface VmStandbysDeps {
  readonly log: Logger;
  /** vm-standby-main.ts. */
  readonly entry: string;
  /**
   * The main.ts files kept in standby, in the order they are first needed (a portal's, then a
   * worker's): at start, a main's standbys start once the previous main's have loaded.
   */
  readonly mains: readonly string[];
  /** Standby processes per main. */
  readonly perMain: number;
  /** Their environment: what every VM process inherits, nothing of a VM's own. */
  readonly env: Readonly<Record<string, string>>;
  /** `<logDir>/standby-<id>.log` until the hand-over renames it `<vmId>.log`; undefined: piped. */
  readonly logDir: string | undefined;
  readonly killGraceMs: number;
  /**
   * How long after taking a standby its replacement starts: its module loading (~0.5 s of CPU)
   * then does not compete with the VM just assigned and the work that asked for it.
   */
  readonly refillDelayMs: number;
}

interface Standby {
  readonly id: string;
  readonly main: string;
  /** undefined: it did not start (logged). */
  readonly process: Promise<VmProcess | undefined>;
  /** Settles once it loaded its modules, ended or did not start. */
  readonly loaded: Promise<void>;
  /** Settles once its exit is handled (not for an assigned one: a VM, the backend's). */
  handled: Promise<void>;
  assigned: boolean;
  killing: boolean;
}

/**
 * Standby VM processes of the local backend: per main, `perMain` processes started ahead of
 * need (vm-standby-main.ts: modules loaded, no identity), so that an Allocate skips the node
 * start and the module loading. assign() makes one a VM (the hand-over goes over its stdin, a
 * pipe only we hold) and, refillDelayMs later, tops the standbys of that main up again. A
 * standby holds nothing of a VM before its hand-over (/proc shows only what every VM process
 * inherits), becomes one VM after it, and never returns. stop() kills those not assigned;
 * assigned ones are VMs, the backend's. One that exits by itself before its hand-over is
 * replaced after the next assign() only, so a main that cannot start costs one process per
 * Allocate, never a restart loop.
 */
export class VmStandbys {
  readonly #deps: VmStandbysDeps;
  readonly #log: Logger;
  /** Per main, standbys not assigned yet (started or still starting). */
  readonly #free = new Map<string, Standby[]>();
  /** Per main, the pending top-up (see refillDelayMs). */
  readonly #refills = new Map<string, NodeJS.Timeout>();
  #started = false;
  #stopped = false;

  constructor(deps: VmStandbysDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'vm-standbys' });
  }

  /**
   * Starts `perMain` standbys per main, one main after another: each main's once those of the
   * one before loaded (on a busy machine the first needed is ready twice as soon as when all
   * load at once). Idempotent; nothing after stop().
   */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    void this.#startInTurn();
  }

  async #startInTurn(): Promise<void> {
    for (const main of this.#deps.mains) {
      if (this.#stopped) return;
      await Promise.all(this.#topUp(main).map((standby) => standby.loaded));
    }
  }

  /** Starts standbys of `main` until it has `perMain` not assigned; returns the new ones. */
  #topUp(main: string): Standby[] {
    const missing = this.#deps.perMain - (this.#free.get(main)?.length ?? 0);
    const started: Standby[] = [];
    for (let i = 0; i < missing && !this.#stopped; i++) started.push(this.#startOne(main));
    return started;
  }

  /**
   * Makes a standby of `main` the VM `vmId` (its log file renamed `<vmId>.log`, the hand-over
   * written, stdin closed) and starts another in its place. The process may still be loading
   * its modules: it reads the hand-over once they are. undefined when there is none to take
   * (the caller starts the VM itself).
   */
  async assign(main: string, vmId: string, handOver: VmHandOver): Promise<VmProcess | undefined> {
    if (!this.#started || this.#stopped) return undefined;
    const standby = this.#free.get(main)?.shift();
    this.#scheduleRefill(main); // in its place, or in place of one that died (see the class)
    if (standby === undefined) return undefined;
    standby.assigned = true;
    const vm = await standby.process;
    if (vm === undefined) return undefined;
    try {
      const { logDir } = this.#deps;
      // Its output file becomes the VM's: adoption and `lzy up`'s VM logs look for that name.
      if (logDir !== undefined)
        await rename(this.#logFileOf(standby, logDir), join(logDir, `${vmId}.log`));
    } catch (err) {
      signalGroup(vm.pid, 'SIGKILL'); // never a VM: the caller starts one itself
      this.#log.warn({ err, vmId, standby: standby.id }, 'cannot assign a standby vm process');
      return undefined;
    }
    vm.output.name = vmId;
    vm.stdin?.end(encodeHandOver(handOver));
    this.#log.info({ vmId, pid: vm.pid, standby: standby.id }, 'standby vm process assigned');
    return vm;
  }

  #scheduleRefill(main: string): void {
    if (this.#refills.has(main)) return;
    const timer = setTimeout(() => {
      this.#refills.delete(main);
      this.#topUp(main);
    }, this.#deps.refillDelayMs);
    this.#refills.set(main, timer);
  }

  #startOne(main: string): Standby {
    const id = randomUUID().slice(0, 8);
    const { logDir } = this.#deps;
    const process = spawnVmProcess({
      argv: [this.#deps.entry, main],
      env: this.#deps.env,
      logFile: logDir === undefined ? undefined : join(logDir, `standby-${id}.log`),
      stdin: 'pipe',
      loadedSignal: true,
      name: `standby-${id}`,
      log: this.#deps.log,
    }).catch((err: unknown) => {
      this.#log.warn({ err, main }, 'cannot start a standby vm process');
      return undefined;
    });
    const standby: Standby = {
      id,
      main,
      process,
      loaded: process.then((vm) => vm?.loaded),
      handled: Promise.resolve(),
      assigned: false,
      killing: false,
    };
    standby.handled = process.then(async (vm) => {
      if (vm === undefined) return this.#forget(standby);
      await vm.exited;
      if (!standby.assigned) await this.#onExit(standby, vm);
    });
    this.#free.set(main, [...(this.#free.get(main) ?? []), standby]);
    return standby;
  }

  #logFileOf(standby: Standby, logDir: string): string {
    return join(logDir, `standby-${standby.id}.log`);
  }

  #forget(standby: Standby): void {
    const left = (this.#free.get(standby.main) ?? []).filter((s) => s !== standby);
    this.#free.set(standby.main, left);
  }

  async #onExit(standby: Standby, vm: VmProcess): Promise<void> {
    this.#forget(standby);
    signalGroup(vm.pid, 'SIGKILL'); // what it left in its group
    const { logDir } = this.#deps;
    const logFile = logDir === undefined ? undefined : this.#logFileOf(standby, logDir);
    if (!standby.killing) {
      const lastOutput =
        logFile === undefined ? [...vm.output.lastLines] : await logFileTail(logFile, LAST_LINES);
      this.#log.warn(
        { standby: standby.id, pid: vm.pid, main: standby.main, lastOutput },
        'a standby vm process exited before it was assigned',
      );
    } else if (logFile !== undefined) {
      await rm(logFile, { force: true });
    }
  }

  /** Kills the standbys not assigned (SIGTERM, SIGKILL after the grace) and waits for them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#refills.values()) clearTimeout(timer);
    this.#refills.clear();
    const standbys = [...this.#free.values()].flat();
    await Promise.all(
      standbys.map(async (standby) => {
        standby.killing = true;
        const vm = await standby.process;
        if (vm !== undefined) {
          signalGroup(vm.pid, 'SIGTERM');
          const timer = setTimeout(() => signalGroup(vm.pid, 'SIGKILL'), this.#deps.killGraceMs);
          await vm.exited;
          clearTimeout(timer);
        }
        await standby.handled;
      }),
    );
  }
}
