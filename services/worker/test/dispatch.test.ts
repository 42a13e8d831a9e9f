import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bidiStream } from '@lzy/grpc';
import type { worker } from '@lzy/proto';
import { CleanupStack } from '@lzy/testing';
import { startTestWorker, taskDesc, tempDir } from './worker-harness.ts';

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

/** The events of one Dispatch stream, as they arrive. */
function collect(responses: AsyncIterable<worker.DispatchEvent>): {
  events: worker.DispatchEvent[];
  done: Promise<void>;
} {
  const events: worker.DispatchEvent[] = [];
  const done = (async () => {
    try {
      for await (const e of responses) events.push(e);
    } catch {
      // cancelled at the end of the test
    }
  })();
  return { events, done };
}

const kinds = (events: worker.DispatchEvent[], taskId: string) =>
  events.filter((e) => e.taskId === taskId).map((e) => e.event?.$case);

describe('worker Dispatch', () => {
  it('runs a task again only for a retry (higher attempt) after its first run ended', async () => {
    const w = await startTestWorker(cleanup);
    const marks = path.join(await tempDir(cleanup, 'marks'), 'runs.txt');
    const call = bidiStream(w.client.dispatch.bind(w.client));
    cleanup.defer(() => call.cancel());
    const seen = collect(call.responses);
    const run = (attempt: number) =>
      call.write({
        request: {
          $case: 'run',
          value: {
            taskId: 'flaky',
            executionId: 'e1',
            // Leaves a file in its task directory: a rerun must start from a clean one.
            taskDesc: taskDesc(
              `test -e left-over && echo dirty >> ${marks}; touch left-over; echo run >> ${marks}; exit 3`,
            ),
            portalAddress: '',
            inputSenders: [],
            attempt,
          },
        },
      });
    await call.write({ request: { $case: 'attach', value: { userId: 'u1', workflowName: 'wf' } } });
    await run(1);
    await expect.poll(() => kinds(seen.events, 'flaky')).toContain('done');
    const first = seen.events.find((e) => e.event?.$case === 'done');
    expect(first?.event?.$case === 'done' && first.event.value.rc).toBe(3);

    await run(1); // a repeat (e.g. a resumed scheduler): nothing runs again
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readFile(marks, 'utf8')).toBe('run\n');

    await run(2); // the scheduler's retry
    await expect.poll(() => kinds(seen.events, 'flaky').filter((k) => k === 'done').length).toBe(2);
    expect(await readFile(marks, 'utf8')).toBe('run\nrun\n');
    call.end();
    await seen.done;
  });
});
