import { randomBytes } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { TRACER_NAME } from './rpc-spans.ts';
import { contextFromTraceFields, traceContextFields } from './trace-context.ts';
import type { TraceContextFields } from './trace-context.ts';

export interface WorkSpanOptions {
  /** The service doing the work: the `lzy.service` attribute (bench sums time per service). */
  service: string;
  attributes?: Attributes;
  /**
   * The parent: a trace context a message carried (a task sent over a stream); undefined: the
   * active context (the RPC being handled, if any).
   */
  parent?: TraceContextFields | undefined;
  /**
   * Start a trace of its own, whatever the active context (the SDK: one graph, one trace). When
   * this process records nothing, the trace still gets ids, flagged sampled, so the services
   * record their part of it under one trace id.
   */
  newTrace?: boolean;
}

/**
 * A span of work that outlives the call that started it (a task, a graph), cut into phases:
 * each phase is a child span that ends when the next begins or the work ends. The services use
 * this rather than OpenTelemetry directly, so every such span carries `lzy.service` and the
 * no-op case stays the API's (nothing recorded, the trace context still passed on).
 */
export class WorkSpan {
  readonly #service: string;
  readonly #span: Span;
  readonly #ctx: Context;
  #phase: { name: string; span: Span } | undefined;
  #ended = false;

  constructor(name: string, options: WorkSpanOptions) {
    this.#service = options.service;
    const parent = options.newTrace
      ? ROOT_CONTEXT
      : options.parent === undefined
        ? context.active()
        : contextFromTraceFields(options.parent);
    const span = trace
      .getTracer(TRACER_NAME)
      .startSpan(
        name,
        { attributes: { ...options.attributes, 'lzy.service': options.service } },
        parent,
      );
    this.#span =
      options.newTrace === true && !isSpanContextValid(span.spanContext())
        ? trace.wrapSpanContext({
            traceId: randomBytes(16).toString('hex'),
            spanId: randomBytes(8).toString('hex'),
            traceFlags: TraceFlags.SAMPLED,
          })
        : span;
    this.#ctx = trace.setSpan(parent, this.#span);
  }

  /** Ends the current phase (if another) and starts `name`. No-op once ended or already in it. */
  enter(name: string): void {
    if (this.#ended || this.#phase?.name === name) return;
    this.#phase?.span.end();
    const span = trace
      .getTracer(TRACER_NAME)
      .startSpan(name, { attributes: { 'lzy.service': this.#service } }, this.#ctx);
    this.#phase = { name, span };
  }

  /** The work's trace context, for a message (undefined when the work has no trace). */
  traceContext(): TraceContextFields | undefined {
    return traceContextFields(this.#ctx);
  }

  /** Runs `fn` in the work's context: the calls it makes (and their awaits) join its trace. */
  run<T>(fn: () => T): T {
    return context.with(this.#ctx, fn);
  }

  /** Ends the phase and the work; `error` marks the span failed with that message. Idempotent. */
  end(outcome: { error?: string; attributes?: Attributes } = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#phase?.span.end();
    this.#phase = undefined;
    if (outcome.attributes !== undefined) this.#span.setAttributes(outcome.attributes);
    if (outcome.error !== undefined)
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
    this.#span.end();
  }
}

/**
 * Runs `fn` outside any trace: for long-lived streams and loops a request starts but that serve
 * later requests too (one per execution, say), which would otherwise sit in the first one's trace.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}
