import { trace } from '@opentelemetry/api';
import type { TracingConfig } from '@lzy/config';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { JsonLinesSpanExporter } from './json-lines-span-exporter.ts';
import { ensureContextPropagation } from './trace-context.ts';

/** A process's span recording, as started by startTracing. */
export interface Tracing {
  /** Whether spans are recorded and exported (false: propagation only). */
  readonly recording: boolean;
  /** Exports what is buffered (bench reads the trace file after this). */
  flush(): Promise<void>;
  /** Flushes, then stops recording and unregisters the provider. Idempotent. */
  shutdown(): Promise<void>;
}

/** Spans buffered before an export; after that new spans are dropped (memory stays bounded). */
const MAX_QUEUED_SPANS = 8_192;
/** A short delay keeps the trace file fresh for bench and for someone tailing it. */
const EXPORT_DELAY_MS = 1_000;

/**
 * Sets up OpenTelemetry for this process, once, at start-up (runMain; the bench process): the
 * trace context always follows async calls (ensureContextPropagation); spans are recorded only
 * when `config` names an exporter (OTLP/HTTP, LZY_TRACE_FILE, or both), else every tracer stays
 * the API's no-op and costs next to nothing. The sampler follows the caller's decision
 * (ParentBased, AlwaysOn for roots). OpenTelemetry's API is process-global by design: this is the
 * only place that registers a provider; a second call while one is registered records nothing.
 */
export function startTracing(config: TracingConfig, serviceName: string): Tracing {
  ensureContextPropagation();
  const processors: SpanProcessor[] = [];
  const options = { maxQueueSize: MAX_QUEUED_SPANS, scheduledDelayMillis: EXPORT_DELAY_MS };
  if (config.otlp !== undefined) {
    const exporter = new OTLPTraceExporter({ url: config.otlp.url, headers: config.otlp.headers });
    processors.push(new BatchSpanProcessor({ exporter, ...options }));
  }
  if (config.traceFile !== undefined) {
    const exporter = new JsonLinesSpanExporter(config.traceFile);
    processors.push(new BatchSpanProcessor({ exporter, ...options }));
  }
  if (processors.length === 0) return notRecording;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName ?? serviceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
  });
  if (!trace.setGlobalTracerProvider(provider)) return notRecording;
  let stopping: Promise<void> | undefined;
  return {
    recording: true,
    flush: () => provider.forceFlush(),
    shutdown: () =>
      (stopping ??= provider.shutdown().finally(() => {
        trace.disable();
      })),
  };
}

const notRecording: Tracing = {
  recording: false,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
