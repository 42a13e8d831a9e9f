import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFlags, context, trace } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TRACER_NAME,
  createChannelClient,
  implement,
  serverStream,
  startGrpcServer,
  startTracing,
  unaryCall,
} from '@lzy/grpc';
import type { GrpcServer, SpanLine, Tracing } from '@lzy/grpc';
import { EchoClient, EchoService } from './echo-service.ts';
import { silentLog } from './helpers.ts';

/** What server B saw of each call: the active trace id and the raw traceparent header. */
const seenByB: Array<{ traceId: string | undefined; traceparent: unknown }> = [];

let dir: string;
let tracing: Tracing;
let serverA: GrpcServer;
let serverB: GrpcServer;
let clientToA: EchoClient;
let clientToB: EchoClient;
const clientMetrics = new Registry();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lzy-trace-'));
  tracing = startTracing(
    { serviceName: undefined, otlp: undefined, traceFile: join(dir, 'spans.jsonl') },
    'trace-test',
  );
  serverB = await startGrpcServer({
    name: 'b',
    port: 0,
    log: silentLog,
    services: [
      implement(
        EchoService,
        {
          echo: (req, ctx) => {
            seenByB.push({
              traceId: activeTraceId(),
              traceparent: ctx.metadata.get('traceparent')[0],
            });
            return Promise.resolve({ text: `b:${req.text}` });
          },
          repeat: async (req, _ctx, send) => {
            seenByB.push({ traceId: activeTraceId(), traceparent: undefined });
            await send({ text: `b:${req.text}` });
          },
          join: 'unimplemented',
          chat: 'unimplemented',
        },
        { auth: 'none' },
      ),
    ],
  });
  clientToB = createChannelClient(EchoClient, `127.0.0.1:${serverB.port}`, {
    metricsRegistry: clientMetrics,
  });
  serverA = await startGrpcServer({
    name: 'a',
    port: 0,
    log: silentLog,
    services: [
      implement(
        EchoService,
        {
          // A calls B while handling: B must see the caller's trace, not a new one.
          echo: async (req) => unaryCall(clientToB.echo.bind(clientToB), req),
          repeat: async (req, _ctx, send) => {
            for await (const r of serverStream(clientToB.repeat.bind(clientToB), req))
              await send(r);
          },
          join: 'unimplemented',
          chat: 'unimplemented',
        },
        { auth: 'none' },
      ),
    ],
  });
  clientToA = createChannelClient(EchoClient, `127.0.0.1:${serverA.port}`);
});

afterAll(async () => {
  clientToA?.close();
  clientToB?.close();
  await serverA?.stop();
  await serverB?.stop();
  await tracing?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

function activeTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}

async function spansOf(traceId: string): Promise<SpanLine[]> {
  await tracing.flush();
  const text = await readFile(join(dir, 'spans.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SpanLine)
    .filter((span) => span.traceId === traceId);
}

describe('W3C trace context over gRPC', () => {
  it('keeps the trace id over client → A → B and records a span per hop, each a child of the last', async () => {
    const tracer = trace.getTracer(TRACER_NAME);
    const root = tracer.startSpan('test-root');
    const traceId = root.spanContext().traceId;
    const reply = await context.with(trace.setSpan(context.active(), root), () =>
      unaryCall(clientToA.echo.bind(clientToA), { text: 'hi' }),
    );
    root.end();
    expect(reply.text).toBe('b:hi');
    const seen = seenByB.at(-1)!;
    expect(seen.traceId).toBe(traceId);
    expect(String(seen.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const spans = await spansOf(traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const serverOfB = spans.find((s) => s.kind === 'SERVER' && s.attributes['lzy.service'] === 'b');
    expect(serverOfB).toMatchObject({ name: 'lzy.test.Echo/Echo', status: 'UNSET' });
    // Walk up from B's server span: client(A→B), server(A), client(→A), the root.
    const chain: string[] = [];
    for (let s = serverOfB; s !== undefined; s = byId.get(s.parentSpanId))
      chain.push(`${s.kind}:${(s.attributes['lzy.service'] as string | undefined) ?? ''}`);
    expect(chain).toEqual(['SERVER:b', 'CLIENT:', 'SERVER:a', 'CLIENT:', 'INTERNAL:']);
  });

  it('carries the trace of a server stream through both hops', async () => {
    const root = trace.getTracer(TRACER_NAME).startSpan('stream-root');
    const texts: string[] = [];
    await context.with(trace.setSpan(context.active(), root), async () => {
      for await (const r of serverStream(clientToA.repeat.bind(clientToA), { text: 's' }))
        texts.push(r.text);
    });
    root.end();
    expect(texts).toEqual(['b:s']);
    expect(seenByB.at(-1)?.traceId).toBe(root.spanContext().traceId);
  });

  it('propagates a caller’s trace context that no span of this process recorded', async () => {
    // As the SDK does when its process exports nothing: ids of its own, flagged sampled.
    const remote = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    await context.with(trace.setSpan(context.active(), remote), () =>
      unaryCall(clientToA.echo.bind(clientToA), { text: 'remote' }),
    );
    expect(seenByB.at(-1)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('sends no trace context when the caller has none', async () => {
    await context.with(context.active(), () =>
      unaryCall(clientToA.echo.bind(clientToA), { text: 'untraced' }),
    );
    // A starts a trace of its own for the call; B is inside it, with A's client span as parent.
    const seen = seenByB.at(-1)!;
    expect(seen.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(String(seen.traceparent)).toContain(seen.traceId!);
  });

  it('counts outbound calls by callee method and status in the client registry', async () => {
    const before = await callsTo('Echo');
    await unaryCall(clientToB.echo.bind(clientToB), { text: 'counted' });
    expect((await callsTo('Echo')) - before).toBe(1);
  });
});

async function callsTo(method: string): Promise<number> {
  const metric = await clientMetrics.getSingleMetric('lzy_grpc_client_calls_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.method === method && v.labels.code === 'OK')
    .reduce((sum, v) => sum + v.value, 0);
}
