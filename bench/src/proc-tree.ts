import { readFile, readdir } from 'node:fs/promises';

/** One sample of a process tree from /proc. */
export interface TreeSample {
  /** Σ VmRSS of every process of the tree (shared pages counted once per process), bytes. */
  rssBytes: number;
  processes: number;
  /** Worker and portal processes (the allocator's local VMs). */
  vms: number;
  /** Warm op hosts (one per worker VM that ran a TypeScript op). */
  opHosts: number;
}

const WORKER = /services\/worker\/src\/main\.ts/;
const PORTAL = /services\/portal\/src\/main\.ts/;
const OP_HOST = /libs\/sdk\/src\/op-host\.ts/;

/**
 * The processes under `rootPid` (itself included) minus the subtrees of `excluded` pids, summed
 * from /proc. Processes that exit while being read are skipped. Linux only.
 */
export async function sampleTree(
  rootPid: number,
  excluded: ReadonlySet<number>,
): Promise<TreeSample> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // After "(comm) ": state, then ppid.
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) {
      if (excluded.has(p)) return false;
      if (p === rootPid) return true;
    }
    return false;
  };
  const sample: TreeSample = { rssBytes: 0, processes: 0, vms: 0, opHosts: 0 };
  for (const pid of parents.keys()) {
    if (!inTree(pid)) continue;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      sample.rssBytes += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
      sample.processes += 1;
      if (WORKER.test(command) || PORTAL.test(command)) sample.vms += 1;
      if (OP_HOST.test(command)) sample.opHosts += 1;
    } catch {
      // exited meanwhile
    }
  }
  return sample;
}

/**
 * Samples the tree every `intervalMs` until `stop()`, which returns the peak of each field (each
 * peak on its own: they may come from different samples).
 */
export function watchTreePeak(
  rootPid: number,
  excluded: ReadonlySet<number>,
  intervalMs = 500,
): { stop(): Promise<TreeSample> } {
  const peak: TreeSample = { rssBytes: 0, processes: 0, vms: 0, opHosts: 0 };
  const take = async () => {
    const s = await sampleTree(rootPid, excluded);
    peak.rssBytes = Math.max(peak.rssBytes, s.rssBytes);
    peak.processes = Math.max(peak.processes, s.processes);
    peak.vms = Math.max(peak.vms, s.vms);
    peak.opHosts = Math.max(peak.opHosts, s.opHosts);
  };
  // A sample slower than the interval (a loaded machine) skips ticks instead of queueing them.
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= take()
      .catch(() => undefined)
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
      await take().catch(() => undefined);
      return peak;
    },
  };
}
