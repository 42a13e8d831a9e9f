import { InterceptingCall } from '@grpc/grpc-js';
import type { Interceptor, Metadata } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { ClientMetrics } from './client-metrics.ts';
import { statusName } from './status.ts';
import { extractTraceContext, injectTraceContext } from './trace-context.ts';

/** Instrumentation scope of every span this package and the services make. */
export const TRACER_NAME = '@lzy/grpc';

const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** How a method streams, as the `lzy.rpc.streaming` span attribute (bench tells calls from streams). */
export type RpcStreaming = 'unary' | 'server' | 'client' | 'bidi';

export function streamingOf(method: {
  requestStream: boolean;
  responseStream: boolean;
}): RpcStreaming {
  if (method.requestStream) return method.responseStream ? 'bidi' : 'client';
  return method.responseStream ? 'server' : 'unary';
}

/** `/pkg.Service/Method` → service and method names. */
export function splitRpcPath(path: string): { service: string; method: string; rpc: string } {
  const rpc = path.replace(/^\//, '');
  const slash = rpc.lastIndexOf('/');
  return { service: rpc.slice(0, slash), method: rpc.slice(slash + 1), rpc };
}

/** A server span in progress: the handler runs in `ctx`; `end` records the status once. */
export interface ServerSpan {
  ctx: Context;
  /** The trace id when the call belongs to a trace (for logs), else undefined. */
  traceId: string | undefined;
  end(code: number): void;
}

/**
 * Starts the SERVER span of an incoming call, child of the caller's `traceparent` (OpenTelemetry
 * RPC conventions: name `pkg.Service/Method`, `rpc.system` grpc). `lzy.service` names the
 * server, since one process may host several (the local suite).
 */
export function startServerSpan(
  serverName: string,
  info: { service: string; method: string; rpc: string; streaming: RpcStreaming },
  metadata: Metadata,
): ServerSpan {
  const parent = extractTraceContext(metadata);
  // Probes (kubelet, the suite's readiness checks) would each make a trace of their own.
  if (info.service === HEALTH_SERVICE) return { ctx: parent, traceId: undefined, end: () => {} };
  const span = trace.getTracer(TRACER_NAME).startSpan(
    info.rpc,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': info.service,
        'rpc.method': info.method,
        'lzy.service': serverName,
        'lzy.rpc.streaming': info.streaming,
      },
    },
    parent,
  );
  const spanContext = span.spanContext();
  const traceId = trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
  return { ctx: trace.setSpan(parent, span), traceId, end: (code) => endRpcSpan(span, code) };
}

function endRpcSpan(span: Span, code: number): void {
  if (!span.isRecording()) return;
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: statusName(code) });
  span.end();
}

/**
 * The client half: a CLIENT span per call, child of the caller's active context, whose
 * `traceparent` goes into the call's metadata; counted in `metrics` when given. Must be the
 * outermost interceptor: grpc-js runs it synchronously in the caller's async context.
 */
export function tracingInterceptor(metrics: ClientMetrics | undefined): Interceptor {
  return (options, nextCall) => {
    const definition = options.method_definition;
    const { service, method, rpc } = splitRpcPath(definition.path);
    const parent = context.active();
    const span = trace.getTracer(TRACER_NAME).startSpan(
      rpc,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': service,
          'rpc.method': method,
          'lzy.rpc.streaming': streamingOf(definition),
        },
      },
      parent,
    );
    const spanCtx = trace.setSpan(parent, span);
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        injectTraceContext(spanCtx, metadata);
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            endRpcSpan(span, status.code);
            metrics?.count(service, method, statusName(status.code));
            nextStatus(status);
          },
        });
      },
    });
  };
}
