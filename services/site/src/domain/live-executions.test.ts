import { createLogger } from '@lzy/logging';
import { describe, expect, it } from 'vitest';
import { LiveExecutions } from './live-executions.ts';
import type { ExecutionSource, OpStatus } from './ports.ts';

/** A source whose op stream the test feeds by hand; counts the watches it was asked for. */
class FeedSource {
  watches = 0;
  open = 0;
  readonly #listeners = new Set<(s: OpStatus) => void>();

  push(status: OpStatus): void {
    for (const listener of this.#listeners) listener(status);
  }

  async *watchOps(_executionId: string, signal: AbortSignal): AsyncGenerator<OpStatus> {
    this.watches++;
    this.open++;
    const queue: OpStatus[] = [];
    let wake: (() => void) | undefined;
    const listener = (s: OpStatus) => {
      queue.push(s);
      wake?.();
    };
    this.#listeners.add(listener);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        while (queue.length > 0) yield queue.shift()!;
      }
    } finally {
      this.#listeners.delete(listener);
      signal.removeEventListener('abort', onAbort);
      this.open--;
    }
  }
}

const status = (taskId: string, state: OpStatus['state']): OpStatus => ({
  taskId,
  state,
  rc: 0,
  description: '',
  vmId: '',
  updatedAt: new Date(1),
});

async function take(it: AsyncIterator<OpStatus>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = await it.next();
    if (next.done === true) break;
    out.push(`${next.value.taskId}:${next.value.state}`);
  }
  return out;
}

describe('LiveExecutions', () => {
  it('shares one watch per execution and gives a late page the current states first', async () => {
    const source = new FeedSource();
    const live = new LiveExecutions({
      source: source as unknown as ExecutionSource,
      log: createLogger({ service: 'test', level: 'silent' }),
    });
    const first = new AbortController();
    const a = live.follow('e1', first.signal)[Symbol.asyncIterator]();
    const firstA = a.next(); // starts the watch
    await expect.poll(() => source.watches).toBe(1);
    source.push(status('t1', 'QUEUED'));
    expect((await firstA).value?.state).toBe('QUEUED');
    source.push(status('t1', 'EXECUTING'));
    expect(await take(a, 1)).toEqual(['t1:EXECUTING']);

    const second = new AbortController();
    const b = live.follow('e1', second.signal)[Symbol.asyncIterator]();
    expect(await take(b, 1)).toEqual(['t1:EXECUTING']);
    expect(source.watches).toBe(1);

    source.push(status('t2', 'SUCCEEDED'));
    expect(await take(a, 1)).toEqual(['t2:SUCCEEDED']);
    expect(await take(b, 1)).toEqual(['t2:SUCCEEDED']);

    first.abort();
    await a.next();
    expect(source.open).toBe(1);
    second.abort();
    await b.next();
    await expect.poll(() => source.open).toBe(0);
  });
});
