import { describe, expect, it } from 'vitest';
import { ConfigError } from './load-config.ts';
import { loadTracingConfig } from './tracing-env.ts';

describe('loadTracingConfig', () => {
  it('records nothing when no exporter is configured', () => {
    expect(loadTracingConfig({ PATH: '/bin' })).toEqual({
      serviceName: undefined,
      otlp: undefined,
      traceFile: undefined,
    });
  });

  it('sends OTLP/HTTP to <endpoint>/v1/traces with the standard headers variable', () => {
    const config = loadTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db, x-team = ml ,broken',
      OTEL_SERVICE_NAME: 'scheduler-eu',
    });
    expect(config.otlp).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { 'api-key': 'a=b', 'x-team': 'ml' },
    });
    expect(config.serviceName).toBe('scheduler-eu');
  });

  it('prefers the traces endpoint, used as is', () => {
    const config = loadTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom/path',
    });
    expect(config.otlp?.url).toBe('http://b:4318/custom/path');
  });

  it('turns every exporter off with OTEL_SDK_DISABLED=true', () => {
    const config = loadTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      LZY_TRACE_FILE: '/tmp/spans.jsonl',
      OTEL_SDK_DISABLED: 'TRUE',
    });
    expect(config).toMatchObject({ otlp: undefined, traceFile: undefined });
  });

  it('names a malformed endpoint', () => {
    expect(() => loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      ConfigError,
    );
  });
});
