/**
 * Where the first workflow of a suite spends its time, from the JSON log lines of the services
 * (one process) and of the VMs (their log files): each step's first occurrence after the
 * workflow started, as ms from that start. Used by suite-start.ts with BENCH_TIMELINE=1.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

interface LogRecord {
  time: number;
  service: string;
  msg: string;
  vmId: string;
}

/** A step of the first workflow and how its log line looks (first match counts). */
const STEPS: ReadonlyArray<{ name: string; matches(r: LogRecord): boolean }> = [
  {
    name: 'portal VM process (StartWorkflow)',
    matches: (r) => r.msg === 'vm process started' && r.vmId.startsWith('vm-portals'),
  },
  {
    name: 'portal registered',
    matches: (r) => r.service === 'portal' && /^registered/.test(r.msg),
  },
  { name: 'execution started', matches: (r) => r.msg === 'execution started' },
  { name: 'graph submitted', matches: (r) => r.msg === 'graph submitted' },
  {
    name: 'worker VM process',
    matches: (r) => r.msg === 'vm process started' && !r.vmId.startsWith('vm-portals'),
  },
  {
    name: 'worker registered',
    matches: (r) => r.service === 'worker' && /^registered/.test(r.msg),
  },
  { name: 'op host started', matches: (r) => r.msg === 'op host started' },
  { name: 'op started', matches: (r) => r.service === 'worker' && r.msg === 'command started' },
  { name: 'op finished', matches: (r) => r.service === 'worker' && r.msg === 'task finished' },
  { name: 'graph completed', matches: (r) => r.msg === 'graph completed' },
  { name: 'execution finished', matches: (r) => r.msg === 'execution finished' },
];

function parse(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const time = typeof r.time === 'string' ? Date.parse(r.time) : Number(r.time);
    if (!Number.isFinite(time) || typeof r.msg !== 'string') return undefined;
    return {
      time,
      service: typeof r.service === 'string' ? r.service : '',
      msg: r.msg,
      vmId: typeof r.vmId === 'string' ? r.vmId : '',
    };
  } catch {
    return undefined;
  }
}

/** The lines of every `*.log` in `dir` (VM output files). */
async function logFileLines(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const texts = await Promise.all(
    names.filter((n) => n.endsWith('.log')).map((n) => readFile(join(dir, n), 'utf8')),
  );
  return texts.flatMap((text) => text.split('\n'));
}

/**
 * `  +ms  step` lines for the first workflow started at `startedAtMs` (epoch ms), from the
 * services' log lines and the VM logs in `vmLogDir`; a step not found is left out.
 */
export async function firstWorkflowTimeline(
  serviceLines: readonly string[],
  vmLogDir: string,
  startedAtMs: number,
): Promise<string[]> {
  const records = [...serviceLines, ...(await logFileLines(vmLogDir))]
    .map(parse)
    .filter((r): r is LogRecord => r !== undefined && r.time >= startedAtMs)
    .sort((a, b) => a.time - b.time);
  const out: string[] = [];
  for (const step of STEPS) {
    const found = records.find((r) => step.matches(r));
    if (found !== undefined)
      out.push(`  +${String(found.time - startedAtMs).padStart(5)} ms  ${step.name}`);
  }
  return out;
}
