import { z } from 'zod';
import { loadConfig } from './load-config.ts';
import type { Env } from './load-config.ts';

/*
 * The tracing variables every process reads (runMain: each service, VM and `lzy up`). The OTEL_*
 * names are OpenTelemetry's standard ones (spec "SDK environment variables", OTLP exporter), so
 * a collector's usual setup works unchanged; LZY_TRACE_FILE is ours (bench, local debugging).
 */
/** OTLP/HTTP speaks http(s) only; `collector:4318` would otherwise parse as a URL of scheme `collector`. */
const httpUrl = () =>
  z.url({ protocol: /^https?$/, error: 'expected an http(s) URL, e.g. "http://collector:4318"' });

const schema = z
  .object({
    /** OTLP/HTTP base URL (`http://collector:4318`); spans go to `<it>/v1/traces`. Unset: no OTLP. */
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl().optional(),
    /** Full OTLP/HTTP traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT (spec: used as is). */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl().optional(),
    /** `key=value,key2=value2` (values URL-encoded) sent with every export, e.g. an API key. */
    OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
    /** The `service.name` resource of this process's spans; default: the service's own name. */
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    /**
     * `true` (any case) turns span recording and export off even with an endpoint set; any other
     * value is false (spec). Trace context is still propagated.
     */
    OTEL_SDK_DISABLED: z.string().optional(),
    /**
     * Append every finished span as one JSON line to this file (created if missing; several
     * processes may share it: each export is one append). Used by bench/ and for local
     * debugging; VMs of the local suite inherit it.
     */
    LZY_TRACE_FILE: z.string().min(1).optional(),
  })
  .transform((env) => {
    const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
    const otlpUrl =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
        ? undefined
        : `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
    return {
      serviceName: env.OTEL_SERVICE_NAME,
      otlp:
        disabled || otlpUrl === undefined
          ? undefined
          : { url: otlpUrl, headers: parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS ?? '') },
      traceFile: disabled ? undefined : env.LZY_TRACE_FILE,
    };
  });

/** Where a process sends its spans; both undefined: tracing records nothing (propagation only). */
export interface TracingConfig {
  /** Overrides the service name as `service.name`. */
  serviceName: string | undefined;
  otlp: { url: string; headers: Record<string, string> } | undefined;
  traceFile: string | undefined;
}

function parseHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    try {
      headers[key] = decodeURIComponent(value);
    } catch {
      headers[key] = value;
    }
  }
  return headers;
}

/**
 * Parses the tracing variables of a process's environment.
 * @throws ConfigError naming every bad variable (e.g. an endpoint that is not a URL)
 */
export function loadTracingConfig(env: Env): TracingConfig {
  return loadConfig(schema, env);
}
