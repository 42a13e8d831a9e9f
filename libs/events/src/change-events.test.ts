import { describe, expect, it } from 'vitest';
import { ChangeEvents } from './change-events.ts';

const never = new AbortController().signal;

describe('ChangeEvents', () => {
  it('resolves at once for a change made before next()', async () => {
    const events = new ChangeEvents();
    const sub = events.subscribe('a');
    events.notify('a');
    expect(await sub.next(never)).toBe(true);
  });

  it('wakes a waiting watcher on a change of its key only', async () => {
    const events = new ChangeEvents();
    const sub = events.subscribe('a');
    let woke = false;
    const waiting = sub.next(never).then((v) => (woke = v));
    events.notify('b');
    await Promise.resolve();
    expect(woke).toBe(false);
    events.notify('a');
    await waiting;
    expect(woke).toBe(true);
  });

  it('resolves false when closed or aborted', async () => {
    const events = new ChangeEvents();
    const controller = new AbortController();
    const aborted = events.subscribe('a').next(controller.signal);
    controller.abort();
    expect(await aborted).toBe(false);
    const closed = events.subscribe('a').next(never);
    events.close();
    expect(await closed).toBe(false);
  });
});
