import { describe, expect, it } from 'vitest';
import { WorkSpan } from './work-span.ts';

// No tracer provider is registered in unit tests: this is the "exporting off" case.
describe('WorkSpan when nothing records spans', () => {
  it('still gives a new trace ids, flagged sampled, for the services to record', () => {
    const a = new WorkSpan('sdk.graph', { service: 'sdk', newTrace: true });
    const b = new WorkSpan('sdk.graph', { service: 'sdk', newTrace: true });
    const pa = a.traceContext()?.traceparent ?? '';
    expect(pa).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(pa.split('-')[1]).not.toBe(b.traceContext()?.traceparent.split('-')[1]);
  });

  it('passes on the trace context a message carried', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const span = new WorkSpan('worker.task', {
      service: 'worker',
      parent: { traceparent, tracestate: 'vendor=x' },
    });
    span.enter('worker.inputs');
    expect(span.traceContext()).toEqual({ traceparent, tracestate: 'vendor=x' });
    span.end();
  });

  it('has no trace without a parent or a new trace', () => {
    expect(new WorkSpan('x', { service: 's' }).traceContext()).toBeUndefined();
  });
});
