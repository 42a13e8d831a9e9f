import { describe, expect, it } from 'vitest';
import { mergeOpStatus } from './op-timeline.ts';
import type { OpStatus } from './ports.ts';

const at = (ms: number) => new Date(ms);
const status = (state: OpStatus['state'], ms: number): OpStatus => ({
  taskId: 't',
  state,
  rc: 0,
  description: '',
  vmId: '',
  updatedAt: at(ms),
});

describe('mergeOpStatus', () => {
  it('keeps when an op queued, started and ended as its states go by', () => {
    let s = mergeOpStatus(undefined, status('QUEUED', 1));
    s = mergeOpStatus(s, status('ALLOCATING', 2));
    s = mergeOpStatus(s, status('EXECUTING', 3));
    s = mergeOpStatus(s, status('SUCCEEDED', 4));
    expect([s.queuedAt, s.startedAt, s.finishedAt]).toEqual([at(1), at(3), at(4)]);
  });

  it('knows only the end of an op first seen finished', () => {
    const s = mergeOpStatus(undefined, status('FAILED', 9));
    expect([s.queuedAt, s.startedAt, s.finishedAt]).toEqual([undefined, undefined, at(9)]);
  });

  it("prefers the source's own times", () => {
    const s = mergeOpStatus(undefined, {
      ...status('EXECUTING', 5),
      queuedAt: at(1),
      startedAt: at(2),
    });
    expect([s.queuedAt, s.startedAt]).toEqual([at(1), at(2)]);
  });
});
