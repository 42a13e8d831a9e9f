import { describe, expect, it } from 'vitest';
import { OperationWaiters } from './operation-waiters.ts';

describe('OperationWaiters', () => {
  it('wakes every waiter of an id, and only those', async () => {
    const waiters = new OperationWaiters();
    const a1 = waiters.subscribe('a');
    const a2 = waiters.subscribe('a');
    let bWoken = false;
    void waiters.subscribe('b').promise.then(() => (bWoken = true));

    waiters.wake('a');

    await Promise.all([a1.promise, a2.promise]);
    expect(bWoken).toBe(false);
    expect(waiters.size).toBe(1);
  });

  it('wakes all ids at once after missed notifications', async () => {
    const waiters = new OperationWaiters();
    const woken = [waiters.subscribe('a').promise, waiters.subscribe('b').promise];

    waiters.wakeAll();

    await Promise.all(woken);
    expect(waiters.size).toBe(0);
  });

  it('rejects with the abort reason and unregisters', async () => {
    const waiters = new OperationWaiters();
    const abort = new AbortController();
    const wakeup = waiters.subscribe('a', abort.signal);

    abort.abort(new Error('gave up'));

    await expect(wakeup.promise).rejects.toThrow('gave up');
    expect(waiters.size).toBe(0);
  });

  it('rejects at once for an already aborted signal', async () => {
    const waiters = new OperationWaiters();

    const wakeup = waiters.subscribe('a', AbortSignal.abort(new Error('too late')));

    await expect(wakeup.promise).rejects.toThrow('too late');
    expect(waiters.size).toBe(0);
  });

  it('forgets a cancelled subscription', () => {
    const waiters = new OperationWaiters();
    const wakeup = waiters.subscribe('a');

    wakeup.cancel();

    expect(waiters.size).toBe(0);
  });
});
