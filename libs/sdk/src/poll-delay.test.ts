import { describe, expect, it } from 'vitest';
import { PollDelay } from './poll-delay.ts';

describe('PollDelay', () => {
  it('doubles while nothing changes, up to the maximum', () => {
    const delay = new PollDelay(5, 50);
    expect([1, 2, 3, 4, 5].map(() => delay.next(false))).toEqual([5, 10, 20, 40, 50]);
  });

  it('starts over at the minimum after a change', () => {
    const delay = new PollDelay(5, 50);
    delay.next(false);
    delay.next(false);
    expect(delay.next(true)).toBe(5);
    expect(delay.next(false)).toBe(10);
  });

  it('never goes above a maximum smaller than the minimum', () => {
    expect(new PollDelay(20, 10).next(false)).toBe(10);
  });
});
