import { readFile, readdir } from 'node:fs/promises';

/** A VM process of the local suite (a worker, its op host, or a portal) and its memory. */
export interface VmProcessMemory {
  pid: number;
  /** `worker`, `op-host` or `portal`. */
  kind: string;
  /** Resident set now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set since the process started (VmHWM), bytes. */
  peakBytes: number;
}

const KINDS: Array<[RegExp, string]> = [
  [/services\/worker\/src\/main\.ts/, 'worker'],
  [/services\/portal\/src\/main\.ts/, 'portal'],
  [/libs\/sdk\/src\/op-host\.ts/, 'op-host'],
];

/**
 * The suite's VM processes under `rootPid` (workers, op hosts, portals), with their memory from
 * /proc. Processes that exit while being read are skipped. Linux only.
 */
export async function vmProcessMemory(rootPid = process.pid): Promise<VmProcessMemory[]> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      commands.set(pid, (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' '));
    } catch {
      // exited meanwhile
    }
  }
  const isBelowRoot = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p))
      if (p === rootPid) return true;
    return false;
  };
  const found: VmProcessMemory[] = [];
  for (const [pid, command] of commands) {
    const kind = KINDS.find(([pattern]) => pattern.test(command))?.[1];
    if (kind === undefined || !isBelowRoot(pid)) continue;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      found.push({ pid, kind, rssBytes: kbOf(status, 'VmRSS'), peakBytes: kbOf(status, 'VmHWM') });
    } catch {
      // exited meanwhile
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}

function kbOf(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return Number(match?.[1] ?? 0) * 1024;
}

/** A VM process over a run: its resident bytes when first seen and its peak (VmHWM) after. */
export interface VmProcessGrowth {
  pid: number;
  kind: string;
  firstRssBytes: number;
  peakBytes: number;
  /** peakBytes − firstRssBytes: what the run made it hold at most. */
  growthBytes: number;
}

/**
 * Samples the suite's VM processes every `intervalMs` while a run goes on, so processes that
 * start and exit during it (a workflow's portal) are measured too. `stop()` returns each
 * process's resident bytes when first seen and its peak.
 */
export function sampleVmMemory(
  intervalMs = 250,
  rootPid = process.pid,
): { stop(): Promise<VmProcessGrowth[]> } {
  const seen = new Map<number, VmProcessGrowth>();
  const sample = async () => {
    for (const p of await vmProcessMemory(rootPid)) {
      const known = seen.get(p.pid);
      const first = known?.firstRssBytes ?? p.rssBytes;
      const peak = Math.max(known?.peakBytes ?? 0, p.peakBytes);
      seen.set(p.pid, {
        pid: p.pid,
        kind: p.kind,
        firstRssBytes: first,
        peakBytes: peak,
        growthBytes: peak - first,
      });
    }
  };
  let sampling = sample();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await sampling;
      await sample();
      return [...seen.values()].sort((a, b) => a.pid - b.pid);
    },
  };
}
