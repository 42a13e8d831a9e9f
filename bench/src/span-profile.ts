/**
 * Where the time of a benchmark's window went, from the spans of LZY_TRACE_FILE (SpanLine, one
 * JSON object a line, written by the bench process and by the VM processes it started).
 */
import type { SpanLine } from '@lzy/grpc';

/** Epoch milliseconds, as the spans' own times. */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** SERVER spans of one service inside a window. */
export interface ServerTime {
  /** Unary calls served. */
  calls: number;
  /** Their time inside the window, summed (ms). */
  ms: number;
  /** `ms` less the time a handler spent waiting on its own outgoing calls (ms). */
  selfMs: number;
  /** Streams served (server, client or bidi streaming): their time is mostly waiting. */
  streams: number;
  streamMs: number;
}

export interface SpanProfile {
  /** By the serving service: `lzy.service` (the in-process suite hosts several), else `rpc.service`. */
  servers: Map<string, ServerTime>;
  /** INTERNAL spans (work and its phases: worker.op, scheduler.queued, …) by name. */
  phases: Map<string, { count: number; ms: number }>;
  /** CLIENT spans: caller → `pkg.Service/Method` → calls started in the window. */
  calls: Map<string, Map<string, number>>;
}

/**
 * The spans of a trace file. Lines that are not a span are skipped: another process may be
 * appending the last line while it is read.
 */
export function parseSpanLines(text: string): SpanLine[] {
  const spans: SpanLine[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isSpanLine(value)) spans.push(value);
  }
  return spans;
}

function isSpanLine(value: unknown): value is SpanLine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.spanId === 'string' &&
    typeof v.parentSpanId === 'string' &&
    typeof v.name === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.service === 'string' &&
    typeof v.startMs === 'number' &&
    typeof v.durationMs === 'number' &&
    typeof v.attributes === 'object' &&
    v.attributes !== null
  );
}

/**
 * Sums the spans that start inside `window`, each cut at the window's end (a stream still open
 * then counts up to there). A CLIENT span's caller is the VM process that made it (its
 * `service` is not `inProcess`, the service.name of the process hosting the suite), else the
 * `lzy.service` of its nearest ancestor (the handler or work span it was made from: 'sdk' for
 * the client's own calls), else '?' (a call outside any trace).
 */
export function profileSpans(
  spans: readonly SpanLine[],
  window: TimeWindow,
  inProcess: string,
): SpanProfile {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = childrenOf(spans);
  const profile: SpanProfile = { servers: new Map(), phases: new Map(), calls: new Map() };
  for (const span of spans) {
    if (span.startMs < window.startMs || span.startMs >= window.endMs) continue;
    const ms = clippedEndMs(span, window) - span.startMs;
    switch (span.kind) {
      case 'SERVER':
        addServer(profile.servers, span, ms, selfMs(span, children, window));
        break;
      case 'CLIENT': {
        const caller = callerOf(span, byId, inProcess);
        const calls = profile.calls.get(caller) ?? new Map<string, number>();
        calls.set(span.name, (calls.get(span.name) ?? 0) + 1);
        profile.calls.set(caller, calls);
        break;
      }
      case 'INTERNAL': {
        const phase = profile.phases.get(span.name) ?? { count: 0, ms: 0 };
        profile.phases.set(span.name, { count: phase.count + 1, ms: phase.ms + ms });
        break;
      }
      case 'PRODUCER':
      case 'CONSUMER':
        break;
    }
  }
  return profile;
}

function childrenOf(spans: readonly SpanLine[]): Map<string, SpanLine[]> {
  const children = new Map<string, SpanLine[]>();
  for (const span of spans) {
    if (span.parentSpanId === '') continue;
    const siblings = children.get(span.parentSpanId);
    if (siblings === undefined) children.set(span.parentSpanId, [span]);
    else siblings.push(span);
  }
  return children;
}

function clippedEndMs(span: SpanLine, window: TimeWindow): number {
  return Math.min(span.startMs + span.durationMs, window.endMs);
}

function addServer(
  servers: Map<string, ServerTime>,
  span: SpanLine,
  ms: number,
  self: number,
): void {
  const attrs = span.attributes;
  const service = str(attrs['lzy.service']) ?? str(attrs['rpc.service']) ?? span.name;
  const t = servers.get(service) ?? { calls: 0, ms: 0, selfMs: 0, streams: 0, streamMs: 0 };
  const streaming = str(attrs['lzy.rpc.streaming']) ?? 'unary';
  if (streaming === 'unary') {
    t.calls += 1;
    t.ms += ms;
    t.selfMs += self;
  } else {
    t.streams += 1;
    t.streamMs += ms;
  }
  servers.set(service, t);
}

/**
 * The server span's time (inside the window) not covered by its own CLIENT calls: those made
 * from the handler or from work spans under it, not those its callees made in turn.
 */
function selfMs(
  server: SpanLine,
  children: ReadonlyMap<string, SpanLine[]>,
  window: TimeWindow,
): number {
  const start = server.startMs;
  const end = clippedEndMs(server, window);
  const outgoing: Array<[number, number]> = [];
  const pending = [...(children.get(server.spanId) ?? [])];
  for (let span = pending.pop(); span !== undefined; span = pending.pop()) {
    if (span.kind === 'CLIENT') {
      const from = Math.max(span.startMs, start);
      const to = Math.min(span.startMs + span.durationMs, end);
      if (to > from) outgoing.push([from, to]);
    } else if (span.kind === 'INTERNAL') {
      pending.push(...(children.get(span.spanId) ?? []));
    }
  }
  return end - start - unionLengthMs(outgoing);
}

function unionLengthMs(intervals: Array<[number, number]>): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let coveredTo = Number.NEGATIVE_INFINITY;
  for (const [from, to] of intervals) {
    if (to <= coveredTo) continue;
    total += to - Math.max(from, coveredTo);
    coveredTo = to;
  }
  return total;
}

function callerOf(span: SpanLine, byId: ReadonlyMap<string, SpanLine>, inProcess: string): string {
  if (span.service !== inProcess) return span.service;
  const seen = new Set<string>();
  for (let p = byId.get(span.parentSpanId); p !== undefined; p = byId.get(p.parentSpanId)) {
    if (seen.has(p.spanId)) break;
    seen.add(p.spanId);
    const service = str(p.attributes['lzy.service']);
    if (service !== undefined) return service;
  }
  return '?';
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
