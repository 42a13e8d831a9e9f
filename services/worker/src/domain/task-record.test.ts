import { describe, expect, it } from 'vitest';
import { TaskRecord } from './task-record.ts';
import type { ExecutionEvent } from './task-record.ts';

async function collect(record: TaskRecord, offsets = { stdout: 0, stderr: 0 }) {
  const events: ExecutionEvent[] = [];
  for await (const e of record.watch(offsets, new AbortController().signal)) events.push(e);
  return events;
}

function finishedRecord(): TaskRecord {
  const record = new TaskRecord({ taskId: 't', executionId: 'e', operationId: 'o' });
  record.markStarted();
  record.appendStd('stdout', Buffer.from('hello '));
  record.appendStd('stderr', Buffer.from('oops\n'));
  record.appendStd('stdout', Buffer.from('world\n'));
  record.finish(0, 'Success');
  return record;
}

describe('TaskRecord', () => {
  it('replays started, std chunks with their stream offsets, then finished', async () => {
    const events = await collect(finishedRecord());
    expect(
      events.map((e) =>
        e.kind === 'stdout' || e.kind === 'stderr' ? [e.kind, e.offset, e.data.toString()] : e.kind,
      ),
    ).toEqual([
      'started',
      ['stdout', 0, 'hello '],
      ['stderr', 0, 'oops\n'],
      ['stdout', 6, 'world\n'],
      'finished',
    ]);
  });

  it('resumes each stream from the offsets the watcher already has', async () => {
    const events = await collect(finishedRecord(), { stdout: 8, stderr: 5 });
    const chunks = events.filter((e) => e.kind === 'stdout' || e.kind === 'stderr');
    expect(chunks).toEqual([{ kind: 'stdout', offset: 8, data: Buffer.from('rld\n') }]);
  });

  it('pushes chunks appended after the watch started and ends at finish', async () => {
    const record = new TaskRecord({ taskId: 't', executionId: 'e', operationId: 'o' });
    const watching = collect(record);
    record.markStarted();
    record.appendStd('stdout', Buffer.from('live'));
    record.finish(3, 'exit code 3');
    const events = await watching;
    expect(events.at(-1)).toEqual({ kind: 'finished', rc: 3, description: 'exit code 3' });
    expect(events).toContainEqual({ kind: 'stdout', offset: 0, data: Buffer.from('live') });
  });

  it('keeps the last 20 lines of stderr for the description', () => {
    const record = new TaskRecord({ taskId: 't', executionId: 'e', operationId: 'o' });
    for (let i = 1; i <= 25; i += 1) record.appendStd('stderr', Buffer.from(`l${i}\n`));
    expect(record.stderrTail().split('\n')).toEqual(
      Array.from({ length: 20 }, (_, i) => `l${i + 6}`),
    );
  });
});
