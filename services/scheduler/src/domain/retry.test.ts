import { describe, expect, it } from 'vitest';
import { FailedPrecondition, InvalidArgument, NotFound, Unavailable } from '@lzy/errors';
import { backoffMs, isTransient } from './retry.ts';

describe('isTransient', () => {
  it('retries unreachable peers and unexpected errors', () => {
    expect(isTransient(new Unavailable('allocator restarting'))).toBe(true);
    expect(isTransient(new Error('stream reset'))).toBe(true);
  });

  it('treats domain answers as final', () => {
    expect(isTransient(new InvalidArgument('unknown pool "xl"'))).toBe(false);
    expect(isTransient(new NotFound('no such task'))).toBe(false);
    expect(isTransient(new FailedPrecondition('another task is running'))).toBe(false);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt and caps at 30 s', () => {
    expect(backoffMs(500, 0)).toBe(500);
    expect(backoffMs(500, 3)).toBe(4_000);
    expect(backoffMs(500, 40)).toBe(30_000);
  });
});
