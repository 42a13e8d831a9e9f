import type { Metadata } from '@grpc/grpc-js';
import {
  ROOT_CONTEXT,
  context,
  createContextKey,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as it travels in a message rather
 * than in gRPC metadata: a task sent over a long-lived stream carries its own (worker.proto
 * DispatchRequest.Run.trace_context). Empty strings: no trace.
 */
export interface TraceContextFields {
  traceparent: string;
  tracestate: string;
}

// Stateless: one instance serves every call. We use it directly rather than the global
// propagator so propagation works whether or not a process registered one.
const propagator = new W3CTraceContextPropagator();

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((v): v is string => typeof v === 'string');
    return values.length === 0 ? undefined : values;
  },
};

const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const fieldsSetter: TextMapSetter<TraceContextFields> = {
  set: (carrier, key, value) => {
    if (key === 'traceparent') carrier.traceparent = value;
    else if (key === 'tracestate') carrier.tracestate = value;
  },
};

const fieldsGetter: TextMapGetter<TraceContextFields> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => {
    const value = key === 'traceparent' ? carrier.traceparent : carrier.tracestate;
    return value === '' ? undefined : value;
  },
};

/** Adds `traceparent`/`tracestate` of the span in `ctx` to outgoing metadata (none: unchanged). */
export function injectTraceContext(ctx: Context, metadata: Metadata): void {
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return;
  propagator.inject(ctx, metadata, metadataSetter);
}

/** The remote parent carried by incoming metadata, as a context (ROOT_CONTEXT if none or malformed). */
export function extractTraceContext(metadata: Metadata): Context {
  if (metadata.get('traceparent').length === 0) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, metadata, metadataGetter);
}

/** The trace context of `ctx` (default: the active one) for a message; undefined when there is none. */
export function traceContextFields(
  ctx: Context = context.active(),
): TraceContextFields | undefined {
  const fields: TraceContextFields = { traceparent: '', tracestate: '' };
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  propagator.inject(ctx, fields, fieldsSetter);
  return fields;
}

/** The remote parent a message carried, as a context (ROOT_CONTEXT if none or malformed). */
export function contextFromTraceFields(fields: TraceContextFields | undefined): Context {
  if (fields === undefined || fields.traceparent === '') return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, fields, fieldsGetter);
}

const PROBE = createContextKey('lzy.context-probe');

/** Whether a context manager that follows async calls is registered (probe: no state kept). */
function hasContextManager(): boolean {
  const probe = ROOT_CONTEXT.setValue(PROBE, true);
  return context.with(probe, () => context.active() === probe);
}

/**
 * Makes OpenTelemetry's active context follow async calls in this process (an
 * AsyncLocalStorage context manager), unless one is registered already. Without it a handler's
 * trace context would not reach the calls it makes. Called by every gRPC server and client
 * factory, so propagation works whether or not the process exports spans. Idempotent.
 */
export function ensureContextPropagation(): void {
  if (hasContextManager()) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
