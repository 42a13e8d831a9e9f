/**
 * The profile of a warm chain (issue 11): two chains of different lengths, each between two
 * scrapes of every service's /metrics, and the spans of their windows in the trace file.
 * Printed as compact tables: what one op costs in DB statements, RPCs and ms per service.
 */
import { readFile } from 'node:fs/promises';
import type { SpanLine } from '@lzy/grpc';
import { counterDeltas, parsePrometheusText, sumBy } from './metrics-text.ts';
import type { MetricSample } from './metrics-text.ts';
import { linearCost, timed } from './report.ts';
import { profileSpans } from './span-profile.ts';
import type { SpanProfile, TimeWindow } from './span-profile.ts';

const STATEMENTS = 'lzy_db_statements_total';
const CLIENT_CALLS = 'lzy_grpc_client_calls_total';
/** Rows of the RPC table beyond the per-caller totals. */
const TOP_RPCS = 14;

/** One chain of `ops` ops: its time and the /metrics of each service around it. */
export interface ChainRun {
  ops: number;
  ms: number;
  /** Epoch ms, the clock of the spans' start times (ms resolution). */
  window: TimeWindow;
  metrics: Map<string, { before: MetricSample[]; after: MetricSample[] }>;
}

/** Scrapes every service's /metrics, runs the chain (timed), scrapes again. */
export async function measureChain(
  metricsAddresses: Readonly<Partial<Record<string, string>>>,
  ops: number,
  run: () => Promise<void>,
): Promise<ChainRun> {
  const before = await scrapeAll(metricsAddresses);
  const startMs = Date.now();
  const ms = await timed(run);
  // +1: a span starting in the last millisecond (Date.now resolution) still belongs to it.
  const window = { startMs, endMs: Date.now() + 1 };
  const after = await scrapeAll(metricsAddresses);
  const metrics = new Map(
    [...before].map(([service, b]) => [service, { before: b, after: after.get(service) ?? [] }]),
  );
  return { ops, ms, window, metrics };
}

async function scrapeAll(
  addresses: Readonly<Partial<Record<string, string>>>,
): Promise<Map<string, MetricSample[]>> {
  const pages = await Promise.all(
    Object.entries(addresses).map(async ([service, address]) => {
      const res = await fetch(`http://${address}/metrics`);
      if (!res.ok) throw new Error(`${service} /metrics answered ${res.status}`);
      return [service, parsePrometheusText(await res.text())] as const;
    }),
  );
  return new Map(pages);
}

/** What the trace adds to a profile; undefined fields: the suite ran without a trace file. */
export interface ChainTrace {
  spans: readonly SpanLine[];
  /** service.name of the process hosting the suite (BENCH_PROCESS). */
  inProcess: string;
  /** false: some VM spans were not exported yet when the file was read. */
  complete: boolean;
}

/** Prints the profile of `long` (and the slope from `short`) under the benchmark's lines. */
export async function printChainProfile(
  short: ChainRun,
  long: ChainRun,
  trace: ChainTrace | undefined,
): Promise<void> {
  const load = (await readFile('/proc/loadavg', 'utf8').catch(() => '?')).trim();
  const { perOpMs, fixedMs } = linearCost(short, long);
  const per = new PerOp(short.ops, long.ops);
  const out = [
    `profile of the warm chain (load ${load}): chains of ${short.ops} and ${long.ops} ops, a graph each`,
    `  per op: the chain of ${long.ops}'s count ÷ ${long.ops}; marginal: the slope from ${short.ops} to ${long.ops} ops (per-graph costs drop out)`,
    `  ms per op incl. the graph's fixed cost: ${fmt(short.ms / short.ops)} (chain of ${short.ops}), ${fmt(long.ms / long.ops)} (chain of ${long.ops})`,
    `  marginal ms per op: ${fmt(perOpMs)}   fixed cost per graph: ${fmt(fixedMs)} ms`,
    ...statementRows(short, long, per),
  ];
  const shortSpans = trace && profileSpans(trace.spans, short.window, trace.inProcess);
  const longSpans = trace && profileSpans(trace.spans, long.window, trace.inProcess);
  out.push(...rpcRows(short, long, per, shortSpans, longSpans));
  if (trace === undefined || shortSpans === undefined || longSpans === undefined) {
    out.push('  ms by service: no trace (run warm-op on its own: it records one from suite start)');
  } else {
    if (!trace.complete) out.push('  (trace incomplete: some VM spans were not exported in time)');
    out.push(...serverRows(shortSpans, longSpans, per), ...phaseRows(shortSpans, longSpans, per));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** A count of each chain → per op of the long one, and the marginal count per op. */
class PerOp {
  readonly #shortOps: number;
  readonly #longOps: number;
  constructor(shortOps: number, longOps: number) {
    this.#shortOps = shortOps;
    this.#longOps = longOps;
  }
  perOp(long: number): number {
    return long / this.#longOps;
  }
  marginal(short: number, long: number): number {
    return (long - short) / (this.#longOps - this.#shortOps);
  }
  /** perOp and marginal cells of one row. */
  cells(short: number, long: number): string[] {
    return [fmt(this.perOp(long)), fmt(this.marginal(short, long))];
  }
}

function statementRows(short: ChainRun, long: ChainRun, per: PerOp): string[] {
  const count = (run: ChainRun) =>
    new Map(
      [...run.metrics].map(([service, m]) => [
        service,
        sum(counterDeltas(m.before, m.after, STATEMENTS).map((s) => s.value)),
      ]),
    );
  return countTable(`DB statements (${STATEMENTS})`, 'service', count(short), count(long), per);
}

function rpcRows(
  short: ChainRun,
  long: ChainRun,
  per: PerOp,
  shortSpans: SpanProfile | undefined,
  longSpans: SpanProfile | undefined,
): string[] {
  const fromMetrics = new Set(short.metrics.keys());
  const count = (run: ChainRun, spans: SpanProfile | undefined) => {
    const calls = new Map<string, number>();
    for (const [caller, m] of run.metrics) {
      const deltas = counterDeltas(m.before, m.after, CLIENT_CALLS);
      for (const [rpc, n] of sumBy(deltas, (l) => shortRpc(`${l.service}/${l.method}`)))
        calls.set(`${caller} → ${rpc}`, n);
    }
    // The SDK's and the VM processes' calls (no /metrics of theirs) from their CLIENT spans;
    // '?' are in-process calls outside a trace, which /metrics counted already.
    for (const [caller, rpcs] of spans?.calls ?? []) {
      if (fromMetrics.has(caller) || caller === '?') continue;
      for (const [rpc, n] of rpcs) calls.set(`${caller}* → ${shortRpc(rpc)}`, n);
    }
    return calls;
  };
  const shortCalls = count(short, shortSpans);
  const longCalls = count(long, longSpans);
  const byCaller = (calls: Map<string, number>) => {
    const totals = new Map<string, number>();
    for (const [key, n] of calls) {
      const caller = `${key.slice(0, key.indexOf(' → '))} (all)`;
      totals.set(caller, (totals.get(caller) ?? 0) + n);
    }
    return totals;
  };
  const source =
    longSpans === undefined
      ? `${CLIENT_CALLS}; no trace: the SDK's and VMs' calls missing`
      : `${CLIENT_CALLS}; *: CLIENT spans of the SDK and VM processes`;
  return [
    ...countTable(
      `RPCs made (${source})`,
      'caller',
      byCaller(shortCalls),
      byCaller(longCalls),
      per,
    ),
    ...countTable('', 'caller → method (top)', shortCalls, longCalls, per, TOP_RPCS).slice(1, -1),
  ];
}

/** Rows by key, biggest per op first, and a total row; `limit` keeps the first rows only. */
function countTable(
  title: string,
  keyName: string,
  short: ReadonlyMap<string, number>,
  long: ReadonlyMap<string, number>,
  per: PerOp,
  limit = Number.POSITIVE_INFINITY,
): string[] {
  const keys = [...new Set([...short.keys(), ...long.keys()])]
    .filter((k) => (long.get(k) ?? 0) > 0 || (short.get(k) ?? 0) > 0)
    .sort((a, b) => (long.get(b) ?? 0) - (long.get(a) ?? 0));
  const rows = keys
    .slice(0, limit)
    .map((k) => [k, ...per.cells(short.get(k) ?? 0, long.get(k) ?? 0)]);
  const total = per.cells(sum([...short.values()]), sum([...long.values()]));
  return formatTable(title, [keyName, 'per op', 'marginal'], [...rows, ['total', ...total]]);
}

function serverRows(short: SpanProfile, long: SpanProfile, per: PerOp): string[] {
  const services = [...long.servers].sort((a, b) => b[1].selfMs - a[1].selfMs);
  const zero = { calls: 0, ms: 0, selfMs: 0, streams: 0, streamMs: 0 };
  const rows = services.map(([service, t]) => {
    const s = short.servers.get(service) ?? zero;
    return [
      service,
      fmt(per.perOp(t.calls)),
      fmt(per.perOp(t.ms)),
      ...per.cells(s.selfMs, t.selfMs),
      fmt(per.perOp(t.streams)),
      fmt(per.perOp(t.streamMs)),
    ];
  });
  const total = (p: SpanProfile) => sum([...p.servers.values()].map((t) => t.selfMs));
  return formatTable(
    'ms in SERVER spans by service (self: less its outgoing RPCs, its SQL included; calls overlap)',
    ['service', 'calls', 'ms', 'self ms', 'marginal', 'streams', 'stream ms'],
    [...rows, ['total self', '', '', ...per.cells(total(short), total(long)), '', '']],
  );
}

/** Phases whose time is not the op's own. */
const PHASE_NOTES: Readonly<Record<string, string>> = {
  'scheduler.waiting': ' (for its producer: grows with the chain)',
  'scheduler.task': ' (waiting included)',
};

function phaseRows(short: SpanProfile, long: SpanProfile, per: PerOp): string[] {
  const names = [...long.phases.keys()].sort();
  const rows = names.map((name) => {
    const t = long.phases.get(name) ?? { count: 0, ms: 0 };
    const s = short.phases.get(name) ?? { count: 0, ms: 0 };
    return [`${name}${PHASE_NOTES[name] ?? ''}`, fmt(per.perOp(t.count)), ...per.cells(s.ms, t.ms)];
  });
  return formatTable(
    'ms in work spans and their phases (INTERNAL spans)',
    ['span', 'spans', 'ms', 'marginal'],
    rows,
  );
}

/** The title, then indented rows: the first column left-aligned, the others right-aligned. */
function formatTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return [
    `  ${title}`,
    ...all.map(
      (row) =>
        '    ' +
        row
          .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
    ),
  ];
}

/** `lzy.internal.channel_manager.v1.ChannelManagerService/Bind` → `ChannelManagerService/Bind`. */
function shortRpc(rpc: string): string {
  const slash = rpc.lastIndexOf('/');
  const service = rpc.slice(0, slash);
  return `${service.slice(service.lastIndexOf('.') + 1)}${rpc.slice(slash)}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}
