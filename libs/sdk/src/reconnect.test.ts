import { describe, expect, it } from 'vitest';
import { NotFound, Unavailable } from '@lzy/errors';
import { reconnectDelayMs, withReconnect } from './reconnect.ts';
import type { ReconnectClock } from './reconnect.ts';

const POLICY = { timeoutMs: 10_000, initialBackoffMs: 100, maxBackoffMs: 1_000 };

/** A clock whose sleeps only move its time. */
function fakeClock(): ReconnectClock & { slept: number[] } {
  let nowMs = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => nowMs,
    sleep: (ms) => {
      slept.push(ms);
      nowMs += ms;
      return Promise.resolve();
    },
  };
}

/** A call failing with `errors` in turn, then answering 'ok'. */
function failing(...errors: Error[]): { call: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    call: () => {
      const err = errors[calls++];
      return err === undefined ? Promise.resolve('ok') : Promise.reject(err);
    },
  };
}

describe('withReconnect', () => {
  it('repeats a call that fails with Unavailable until it answers, backing off', async () => {
    const clock = fakeClock();
    const refused = () => new Unavailable('connect ECONNREFUSED');
    const { call, calls } = failing(refused(), refused(), refused());
    expect(await withReconnect(POLICY, call, undefined, clock)).toBe('ok');
    expect(calls()).toBe(4);
    expect(clock.slept).toHaveLength(3);
    expect(clock.slept[2]!).toBeGreaterThan(clock.slept[0]!);
  });

  it('throws the last Unavailable once the outage lasts longer than the timeout', async () => {
    const clock = fakeClock();
    const errors = Array.from({ length: 100 }, (_, i) => new Unavailable(`down ${i}`));
    const { call, calls } = failing(...errors);
    const failure = await withReconnect(POLICY, call, undefined, clock).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Unavailable);
    expect(failure).toBe(errors[calls() - 1]);
    expect(clock.now()).toBeLessThanOrEqual(POLICY.timeoutMs);
    expect(calls()).toBeGreaterThan(5);
  });

  it('never repeats a call that failed otherwise, nor any with a zero timeout', async () => {
    const clock = fakeClock();
    const notFound = failing(new NotFound('no such graph'));
    await expect(withReconnect(POLICY, notFound.call, undefined, clock)).rejects.toThrow(NotFound);
    expect(notFound.calls()).toBe(1);
    const off = failing(new Unavailable('down'));
    const policy = { ...POLICY, timeoutMs: 0 };
    await expect(withReconnect(policy, off.call, undefined, clock)).rejects.toThrow(Unavailable);
    expect(off.calls()).toBe(1);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from the initial backoff up to the cap, within ±20 %', () => {
    const at = (attempt: number, random: number) => reconnectDelayMs(POLICY, attempt, () => random);
    expect(at(0, 0.5)).toBe(100);
    expect(at(2, 0.5)).toBe(400);
    expect(at(10, 0.5)).toBe(1_000);
    expect(at(0, 0)).toBe(80);
    expect(at(0, 1)).toBe(120);
  });
});
