import { describe, expect, it } from 'vitest';
import type { SpanLine } from '@lzy/grpc';
import { parseSpanLines, profileSpans } from './span-profile.ts';

let nextId = 0;
function span(fields: Partial<SpanLine> & Pick<SpanLine, 'kind' | 'startMs' | 'durationMs'>) {
  return {
    traceId: 't',
    spanId: `s${nextId++}`,
    parentSpanId: '',
    name: 'x',
    service: 'bench',
    status: 'UNSET',
    attributes: {},
    ...fields,
  } satisfies SpanLine;
}

function server(service: string, startMs: number, durationMs: number, parent = '') {
  return span({
    kind: 'SERVER',
    name: `pkg.${service}/Call`,
    startMs,
    durationMs,
    parentSpanId: parent,
    attributes: { 'lzy.service': service, 'lzy.rpc.streaming': 'unary' },
  });
}

function client(parent: string, startMs: number, durationMs: number, service = 'bench') {
  return span({
    kind: 'CLIENT',
    name: 'pkg.Callee/Call',
    startMs,
    durationMs,
    parentSpanId: parent,
    service,
  });
}

const WINDOW = { startMs: 1000, endMs: 2000 };

describe('profileSpans', () => {
  it('takes from a handler the time of its own outgoing calls, not of its callees', () => {
    const handler = server('lzy-service', 1100, 100);
    const direct = client(handler.spanId, 1120, 30);
    const work = span({
      kind: 'INTERNAL',
      name: 'work',
      parentSpanId: handler.spanId,
      startMs: 1110,
      durationMs: 500,
      attributes: { 'lzy.service': 'lzy-service' },
    });
    const overlapping = client(work.spanId, 1140, 30); // [1140, 1170] overlaps [1120, 1150]
    const outlivingHandler = client(work.spanId, 1190, 50); // counts up to the handler's end
    const callee = server('graph-executor', 1125, 20, direct.spanId);
    const calleeCall = client(callee.spanId, 1130, 5);
    const spans = [handler, direct, work, overlapping, outlivingHandler, callee, calleeCall];

    const { servers } = profileSpans(spans, WINDOW, 'bench');

    expect(servers.get('lzy-service')).toEqual({
      calls: 1,
      ms: 100,
      selfMs: 100 - 50 - 10,
      streams: 0,
      streamMs: 0,
    });
    expect(servers.get('graph-executor')?.selfMs).toBe(15);
  });

  it('counts streams apart, cut at the window end, and only spans starting inside it', () => {
    const stream = span({
      kind: 'SERVER',
      name: 'pkg.ChannelManager/WatchSender',
      startMs: 1900,
      durationMs: 500,
      attributes: { 'lzy.service': 'channel-manager', 'lzy.rpc.streaming': 'server' },
    });
    const before = server('channel-manager', 990, 50);
    const after = server('channel-manager', 2000, 5);
    const noLzyService = span({
      kind: 'SERVER',
      startMs: 1500,
      durationMs: 7,
      attributes: { 'rpc.service': 'grpc.health.v1.Health' },
    });

    const { servers } = profileSpans([stream, before, after, noLzyService], WINDOW, 'bench');

    expect(servers.get('channel-manager')).toEqual({
      calls: 0,
      ms: 0,
      selfMs: 0,
      streams: 1,
      streamMs: 100,
    });
    expect(servers.get('grpc.health.v1.Health')).toMatchObject({ calls: 1, ms: 7, selfMs: 7 });
  });

  it('names a call by its VM process, else by the nearest ancestor naming a service', () => {
    const graph = span({
      kind: 'INTERNAL',
      name: 'sdk.graph',
      startMs: 950, // started before the window: still the parent of calls inside it
      durationMs: 2000,
      attributes: { 'lzy.service': 'sdk' },
    });
    const phase = span({
      kind: 'INTERNAL',
      parentSpanId: graph.spanId,
      startMs: 960,
      durationMs: 1,
    });
    const spans = [
      graph,
      phase,
      client(phase.spanId, 1010, 3),
      client(graph.spanId, 1020, 3),
      client('', 1030, 3, 'worker'),
      client('missing-parent', 1040, 3, 'portal'),
      client('', 1050, 3), // in the bench process, outside any trace
    ];

    const { calls } = profileSpans(spans, WINDOW, 'bench');

    expect(Object.fromEntries([...calls].map(([k, v]) => [k, Object.fromEntries(v)]))).toEqual({
      sdk: { 'pkg.Callee/Call': 2 },
      worker: { 'pkg.Callee/Call': 1 },
      portal: { 'pkg.Callee/Call': 1 },
      '?': { 'pkg.Callee/Call': 1 },
    });
  });

  it('sums work spans and phases by name', () => {
    const op = (startMs: number, durationMs: number) =>
      span({ kind: 'INTERNAL', name: 'worker.op', service: 'worker', startMs, durationMs });
    const { phases } = profileSpans([op(1100, 4), op(1200, 6), op(1990, 30)], WINDOW, 'bench');
    expect(phases.get('worker.op')).toEqual({ count: 3, ms: 4 + 6 + 10 });
  });
});

describe('parseSpanLines', () => {
  it('skips blank lines, a line cut short by a concurrent append and non-spans', () => {
    const one = server('iam', 1, 2);
    const text = [
      JSON.stringify(one),
      '',
      '{"not":"a span"}',
      JSON.stringify(client('', 3, 4)),
      JSON.stringify(one).slice(0, 40),
    ].join('\n');
    expect(parseSpanLines(text).map((s) => s.kind)).toEqual(['SERVER', 'CLIENT']);
  });
});
