import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { vmIdOfScratchDir } from './vm-hand-over.ts';

/** A VM process of a previous allocator process, found in /proc (Linux). */
export interface FoundVmProcess {
  readonly vmId: string;
  readonly pid: number;
  /** With the pid, names this very process (a reused pid has another start time). */
  readonly startTicks: number;
  /** The main.ts it runs. */
  readonly main: string;
  /** Where its stdout goes (a file path, or `pipe:[…]` when it went to the dead allocator). */
  readonly stdout: string | undefined;
}

interface Stat {
  readonly pgid: number;
  readonly startTicks: number;
}

/** State, process group and start time of a live process; undefined if gone or a zombie. */
async function statOf(pid: number): Promise<Stat | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { pgid: Number(fields[2]), startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** The start time of the live process `pid`; undefined if it is gone (or a zombie). */
export async function startTicksOf(pid: number): Promise<number | undefined> {
  return (await statOf(pid))?.startTicks;
}

/** How the local backend starts VM processes: what findVmProcesses looks for. */
export interface VmProcessShape {
  /** main.ts of worker and portal VMs. */
  readonly mains: readonly string[];
  /** vm-standby-main.ts when VMs may have been standbys (`node <it> <main.ts>`). */
  readonly standbyEntry: string | undefined;
  /** Where scratch directories are (`<base>/lzy-vm-<id>`). */
  readonly scratchBase: string;
}

/**
 * The VM processes of `vmIds` still running on this machine, as the local backend starts them:
 * a process group leader (`detached`) running `<node> <main.ts of a worker or portal>` with
 * `LZY_VM_ID=<id>` in its environment, or `<node> <standby entry> <main.ts>` (a standby made a
 * VM: its environment at exec had no VM in it) holding its VM's scratch directory open. Ids are
 * random per VM, so a process of another installation on the same machine never matches one of
 * ours. Processes we may not read are skipped.
 */
export async function findVmProcesses(
  vmIds: ReadonlySet<string>,
  shape: VmProcessShape,
): Promise<Map<string, FoundVmProcess>> {
  const found = new Map<string, FoundVmProcess>();
  if (vmIds.size === 0) return found;
  // /proc names open directories by their real path.
  const scratchBase = await realpath(shape.scratchBase).catch(() => shape.scratchBase);
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  for (const pid of pids) {
    const vm = await vmProcess(pid, vmIds, { ...shape, scratchBase });
    if (vm !== undefined) found.set(vm.vmId, vm);
  }
  return found;
}

async function vmProcess(
  pid: number,
  vmIds: ReadonlySet<string>,
  shape: VmProcessShape,
): Promise<FoundVmProcess | undefined> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const wasStandby = shape.standbyEntry !== undefined && argv[1] === shape.standbyEntry;
    const main = wasStandby ? argv[2] : argv[1];
    if (main === undefined || !shape.mains.includes(main)) return undefined;
    const stat = await statOf(pid);
    if (stat === undefined || stat.pgid !== pid) return undefined;
    const vmId = wasStandby
      ? await scratchVmIdOf(pid, shape.scratchBase)
      : await environVmIdOf(pid);
    if (vmId === undefined || !vmIds.has(vmId)) return undefined;
    const stdout = await readlink(`/proc/${pid}/fd/1`).catch(() => undefined);
    return { vmId, pid, startTicks: stat.startTicks, main, stdout };
  } catch {
    return undefined; // gone while we looked, or not ours to read
  }
}

async function environVmIdOf(pid: number): Promise<string | undefined> {
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  return environ.find((e) => e.startsWith('LZY_VM_ID='))?.slice('LZY_VM_ID='.length);
}

/** The VM whose scratch directory `pid` holds open (vm-standby-main.ts keeps it so). */
async function scratchVmIdOf(pid: number, scratchBase: string): Promise<string | undefined> {
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const vmId = vmIdOfScratchDir(scratchBase, target);
    if (vmId !== undefined) return vmId;
  }
  return undefined;
}

/** How often a hurried watch looks (a kill in progress). */
const HURRIED_CHECK_MS = 50;

/**
 * Watches a process that is not our child (no 'exit' event, and Node has no pidfd) by looking
 * at /proc every `intervalMs`: acceptable for adopted VMs, a handful of processes checked at a
 * low rate, never a hot path. `exited` resolves once the process (same pid and start time) is
 * gone; `hurry()` shortens the period while a kill waits for it.
 */
export class PidWatch {
  readonly exited: Promise<void>;
  readonly #pid: number;
  readonly #startTicks: number;
  #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #resolve: () => void = () => undefined;
  #checking = false;

  constructor(pid: number, startTicks: number, intervalMs: number) {
    this.#pid = pid;
    this.#startTicks = startTicks;
    this.#intervalMs = intervalMs;
    this.exited = new Promise((resolve) => (this.#resolve = resolve));
    this.#schedule();
  }

  hurry(): void {
    if (this.#intervalMs <= HURRIED_CHECK_MS) return;
    this.#intervalMs = HURRIED_CHECK_MS;
    if (this.#checking) return; // the running check schedules the next one
    clearTimeout(this.#timer);
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#check(), this.#intervalMs);
    this.#timer.unref(); // an adopted VM never keeps the allocator's process alive
  }

  async #check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      if ((await startTicksOf(this.#pid)) !== this.#startTicks) {
        this.#resolve();
        return;
      }
    } finally {
      this.#checking = false;
    }
    this.#schedule();
  }
}
