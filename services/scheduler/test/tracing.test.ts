import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkSpan, startTracing } from '@lzy/grpc';
import type { SpanLine, Tracing } from '@lzy/grpc';
import type { scheduler } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import type { RunningScheduler } from '../src/index.ts';
import { AllocatorDouble } from './allocator-double.ts';
import {
  S,
  getTask,
  log,
  schedulerClient,
  schedulerTemplate,
  startTestScheduler,
  submit,
  submitRequest,
  task,
} from './harness.ts';
import { WorkerDouble } from './worker-double.ts';

const db = usePostgres({ template: schedulerTemplate });
const allocator = new AllocatorDouble();
const workers: WorkerDouble[] = [];
let dir: string;
let tracing: Tracing;
let running: RunningScheduler;
let client: scheduler.SchedulerServiceClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lzy-scheduler-trace-'));
  tracing = startTracing(
    { serviceName: undefined, otlp: undefined, traceFile: join(dir, 'spans.jsonl') },
    'scheduler-test',
  );
  await allocator.start(log);
  allocator.vmFactory = async () => {
    const w = new WorkerDouble();
    await w.start(log);
    workers.push(w);
    return w.address;
  };
  running = await startTestScheduler(db.url, allocator.address);
  client = schedulerClient(running.port);
});

afterAll(async () => {
  client?.close();
  await running?.stop();
  for (const w of workers) await w.stop();
  await allocator.stop();
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

describe('scheduler tracing', () => {
  it('sends each task to its worker with the trace of the Submit, and records its phases', async () => {
    // What graph-executor does: Submit inside the graph's span.
    const graph = new WorkSpan('graph', { service: 'test' });
    const traceId = graph.traceContext()!.traceparent.split('-')[1]!;
    const request = submitRequest([task('a'), task('b', { after: ['a'] })]);
    await graph.run(() => submit(client, request));

    await expect.poll(() => workers.some((w) => w.tasks.has('a')), { timeout: 10_000 }).toBe(true);
    const w = workers.find((x) => x.tasks.has('a'))!;
    w.succeed('a');
    await expect.poll(() => w.tasks.has('b'), { timeout: 10_000 }).toBe(true);
    w.succeed('b');
    await expect
      .poll(async () => (await getTask(client, request.executionId, 'b')).state, {
        timeout: 10_000,
      })
      .toBe(S.TASK_STATE_SUCCEEDED);
    graph.end();

    const spans = await spansOf(traceId);
    const taskSpans = spans.filter((s) => s.name === 'scheduler.task');
    expect(taskSpans.map((s) => s.attributes['lzy.task_id']).sort()).toEqual(['a', 'b']);
    for (const id of ['a', 'b']) {
      const taskSpan = taskSpans.find((s) => s.attributes['lzy.task_id'] === id)!;
      // The worker's parent is the scheduler's task span: its spans nest under it.
      const sent = w.tasks.get(id)!.run.traceContext!.traceparent;
      expect(sent).toBe(`00-${traceId}-${taskSpan.spanId}-01`);
      const phases = spans
        .filter((s) => s.parentSpanId === taskSpan.spanId)
        .sort((x, y) => x.startMs - y.startMs)
        .map((s) => s.name);
      expect(phases).toEqual(
        id === 'a'
          ? ['scheduler.queued', 'scheduler.dispatched', 'scheduler.running']
          : ['scheduler.waiting', 'scheduler.queued', 'scheduler.dispatched', 'scheduler.running'],
      );
      expect(taskSpan).toMatchObject({
        status: 'UNSET',
        attributes: { 'lzy.task_state': 'SUCCEEDED' },
      });
    }
    // Submit itself is a SERVER span of the scheduler in the same trace.
    expect(spans.some((s) => s.kind === 'SERVER' && s.name.endsWith('/Submit'))).toBe(true);
  });
});
