import { createLogger } from '@lzy/logging';
import { describe, expect, it } from 'vitest';
import { ExecutionActivity } from './execution-activity.ts';
import { abandonedReason, formatDuration } from './execution-reaper.ts';

const log = createLogger({ service: 'test', level: 'silent' });

function activityAt(clock: { ms: number }) {
  const writes: string[][] = [];
  const activity = new ExecutionActivity({
    store: {
      touch: (ids) => {
        writes.push([...ids]);
        return Promise.resolve();
      },
    },
    clock: { now: () => clock.ms },
    log,
    flushIntervalMs: 60_000,
  });
  return { activity, writes };
}

describe('ExecutionActivity', () => {
  it('writes an execution’s activity at most once per flush interval', async () => {
    const clock = { ms: 0 };
    const { activity, writes } = activityAt(clock);
    for (let i = 0; i < 100; i++) {
      await activity.touch('e1');
      clock.ms += 500;
    }
    await activity.touch('e2');
    expect(writes).toEqual([['e1'], ['e2']]);
    clock.ms = 60_000;
    await activity.touch('e1');
    expect(writes).toHaveLength(3);
  });

  it('lists executions with an open stream until every stream closed', () => {
    const { activity } = activityAt({ ms: 0 });
    const first = activity.openStream('e1');
    const second = activity.openStream('e1');
    first();
    first();
    expect(activity.streaming()).toEqual(['e1']);
    second();
    expect(activity.streaming()).toEqual([]);
  });
});

describe('abandonedReason', () => {
  it('names the idle timeout in the unit an operator set it in', () => {
    expect(abandonedReason(3_600_000)).toBe('execution abandoned: no call from its client for 1 h');
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(1_500)).toBe('1.5 s');
    expect(formatDuration(300)).toBe('300 ms');
  });
});
