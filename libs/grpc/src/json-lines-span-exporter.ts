import { appendFile } from 'node:fs/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * One finished span as a line of LZY_TRACE_FILE. Times are epoch milliseconds (fractional), so
 * spans of different processes on one host line up.
 */
export interface SpanLine {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  /** The process's `service.name` resource (one process may host several services: see `lzy.service`). */
  service: string;
  startMs: number;
  durationMs: number;
  status: 'UNSET' | 'OK' | 'ERROR';
  attributes: Attributes;
}

const KINDS: Record<SpanKind, SpanLine['kind']> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

const STATUSES: Record<SpanStatusCode, SpanLine['status']> = {
  [SpanStatusCode.UNSET]: 'UNSET',
  [SpanStatusCode.OK]: 'OK',
  [SpanStatusCode.ERROR]: 'ERROR',
};

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function toSpanLine(span: ReadableSpan): SpanLine {
  const { traceId, spanId } = span.spanContext();
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    kind: KINDS[span.kind],
    service: stringOf(span.resource.attributes['service.name']),
    startMs: hrTimeToMilliseconds(span.startTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    status: STATUSES[span.status.code],
    attributes: span.attributes,
  };
}

/**
 * Appends spans to a file as JSON lines (SpanLine). Each export is one append of whole lines,
 * so processes sharing the file (the suite and its VMs) do not interleave within a line.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  readonly #path: string;
  #pending: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const text = spans.map((span) => `${JSON.stringify(toSpanLine(span))}\n`).join('');
    const write = this.#pending.then(() => appendFile(this.#path, text));
    this.#pending = write.catch(() => undefined);
    write.then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (err: unknown) =>
        resultCallback({
          code: ExportResultCode.FAILED,
          error: err instanceof Error ? err : new Error(String(err)),
        }),
    );
  }

  forceFlush(): Promise<void> {
    return this.#pending;
  }

  shutdown(): Promise<void> {
    return this.#pending;
  }
}
