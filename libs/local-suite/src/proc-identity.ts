import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * One process as Linux's /proc shows it. The pair (pid, startTicks) names a process for ever: a
 * pid the kernel hands out again belongs to a process with another start time.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: when it started, in clock ticks after boot. */
  readonly startTicks: number;
  /** Its command line, as exec'd. */
  readonly argv: readonly string[];
}

/** The live (not zombie) process `pid`, or undefined when there is none (or it is not ours to read). */
export async function processIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses: split after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { pid, startTicks: Number(fields[19]), argv };
  } catch {
    return undefined; // gone while we looked
  }
}

/** True while the very process `identity` (same pid and start time) is alive. */
export async function isRunning(identity: Pick<ProcessIdentity, 'pid' | 'startTicks'>) {
  const now = await processIdentity(identity.pid);
  return now !== undefined && now.startTicks === identity.startTicks;
}

/** How the stop of a process that is not our child goes: signals in order, each given a grace. */
export interface StopSteps {
  readonly steps: ReadonlyArray<{ signal: NodeJS.Signals; graceMs: number }>;
}

/** How often a stopping process is looked at: it is not our child, so there is no exit event. */
const EXIT_CHECK_MS = 50;

/**
 * Stops a process that is not our child (an orphan of a crashed suite): sends each step's signal
 * and waits up to its grace for the process to go, then the next. Resolves true once it is gone.
 * Only ever signals the process `identity` names (pid and start time checked before each signal).
 */
export async function stopProcess(identity: ProcessIdentity, how: StopSteps): Promise<boolean> {
  for (const { signal, graceMs } of how.steps) {
    if (!(await isRunning(identity))) return true;
    try {
      process.kill(identity.pid, signal);
    } catch {
      return true; // ESRCH: gone between the check and the signal
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await delay(EXIT_CHECK_MS);
      if (!(await isRunning(identity))) return true;
    }
  }
  return !(await isRunning(identity));
}
