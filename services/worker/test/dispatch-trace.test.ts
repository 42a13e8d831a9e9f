import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bidiStream, startTracing } from '@lzy/grpc';
import type { SpanLine, Tracing } from '@lzy/grpc';
import type { worker } from '@lzy/proto';
import { CleanupStack } from '@lzy/testing';
import { PortalDouble } from './doubles/portal-double.ts';
import { log, startTestWorker, taskDesc } from './worker-harness.ts';

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

let dir: string;
let tracing: Tracing;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lzy-worker-trace-'));
  tracing = startTracing(
    { serviceName: undefined, otlp: undefined, traceFile: join(dir, 'spans.jsonl') },
    'worker-test',
  );
});

afterAll(async () => {
  await tracing?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function spansOf(traceId: string): Promise<SpanLine[]> {
  await tracing.flush();
  const text = await readFile(join(dir, 'spans.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SpanLine)
    .filter((span) => span.traceId === traceId);
}

describe('worker tracing (Dispatch)', () => {
  it('runs a dispatched task in the trace its run message carries, phase by phase', async () => {
    const portalDouble = new PortalDouble();
    const portalAddress = await portalDouble.start(log);
    cleanup.defer(() => portalDouble.stop());
    const w = await startTestWorker(cleanup);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const schedulerSpanId = '00f067aa0ba902b7';

    const call = bidiStream(w.client.dispatch.bind(w.client));
    cleanup.defer(() => Promise.resolve(call.cancel()));
    await call.write({ request: { $case: 'attach', value: { userId: 'u1', workflowName: 'wf' } } });
    await call.write({
      request: {
        $case: 'run',
        value: {
          taskId: 't-traced',
          executionId: 'e1',
          taskDesc: taskDesc('echo traced'),
          portalAddress,
          inputSenders: [],
          attempt: 1,
          traceContext: { traceparent: `00-${traceId}-${schedulerSpanId}-01`, tracestate: '' },
        },
      },
    });
    const events: worker.DispatchEvent[] = [];
    for await (const event of call.responses) {
      events.push(event);
      if (event.event?.$case === 'done') break;
    }
    expect(events.at(-1)?.event).toEqual({
      $case: 'done',
      value: { rc: 0, description: 'Success' },
    });

    // The task's own calls (here: its std to the portal) continue the scheduler's trace.
    expect(portalDouble.traceparents).toHaveLength(1);
    expect(portalDouble.traceparents[0]).toMatch(new RegExp(`^00-${traceId}-`));

    const spans = await spansOf(traceId);
    const taskSpan = spans.find((s) => s.name === 'worker.task');
    expect(taskSpan).toMatchObject({
      parentSpanId: schedulerSpanId,
      attributes: { 'lzy.service': 'worker', 'lzy.task_id': 't-traced', 'lzy.rc': 0 },
    });
    const phases = spans
      .filter((s) => s.parentSpanId === taskSpan?.spanId && s.name.startsWith('worker.'))
      .sort((a, b) => a.startMs - b.startMs)
      .map((s) => s.name);
    expect(phases).toEqual(['worker.inputs', 'worker.op', 'worker.outputs']);
  });
});
