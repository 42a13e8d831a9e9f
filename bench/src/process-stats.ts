import { readFile, readdir } from 'node:fs/promises';

/** A process of the local suite (a worker, its op host, a portal, the S3 server) from /proc. */
export interface SuiteProcessStats {
  pid: number;
  /** `worker`, `op-host`, `portal` or `s3`. */
  kind: string;
  /** Resident set now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set since the process started (VmHWM), bytes. */
  peakBytes: number;
  /** CPU time (user + system) since the process started, ms. */
  cpuMs: number;
}

const KINDS: Array<[RegExp, string]> = [
  [/services\/worker\/src\/main\.ts/, 'worker'],
  [/services\/portal\/src\/main\.ts/, 'portal'],
  [/libs\/sdk\/src\/op-host\.ts/, 'op-host'],
  [/versitygw/, 's3'],
];

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * The suite's VM processes and S3 server under `rootPid`, with memory and CPU time from /proc.
 * Processes that exit while being read are skipped. Linux only.
 */
export async function suiteProcessStats(rootPid = process.pid): Promise<SuiteProcessStats[]> {
  const stats = new Map<number, string[]>();
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command: state, ppid, …, utime (12th), stime (13th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(pid, fields);
      parents.set(pid, Number(fields[1]));
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
  const found: SuiteProcessStats[] = [];
  for (const [pid, command] of commands) {
    const kind = KINDS.find(([pattern]) => pattern.test(command))?.[1];
    if (kind === undefined || !isBelowRoot(pid)) continue;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const fields = stats.get(pid) ?? [];
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
      found.push({
        pid,
        kind,
        rssBytes: kbOf(status, 'VmRSS'),
        peakBytes: kbOf(status, 'VmHWM'),
        cpuMs,
      });
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

/** CPU ms each kind of process spent between two snapshots (processes present in both). */
export function cpuMsByKind(
  before: readonly SuiteProcessStats[],
  after: readonly SuiteProcessStats[],
): Map<string, number> {
  const byKind = new Map<string, number>();
  for (const p of after) {
    const start = before.find((b) => b.pid === p.pid)?.cpuMs ?? 0;
    byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + p.cpuMs - start);
  }
  return byKind;
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
 * Samples the suite's VM processes (not the S3 server) every `intervalMs` while a run goes on, so processes that
 * start and exit during it (a workflow's portal) are measured too. `stop()` returns each
 * process's resident bytes when first seen and its peak.
 */
export function sampleVmMemory(
  intervalMs = 250,
  rootPid = process.pid,
): { stop(): Promise<VmProcessGrowth[]> } {
  const seen = new Map<number, VmProcessGrowth>();
  const sample = async () => {
    for (const p of await suiteProcessStats(rootPid)) {
      if (p.kind === 's3') continue; // not a VM process: its page cache use is not ours
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
