import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@lzy/logging';
import { mergeOpStatus } from './op-timeline.ts';
import type { ExecutionSource, OpStatus } from './ports.ts';

interface Subscriber {
  queue: OpStatus[];
  wake: (() => void) | undefined;
}

interface Hub {
  ops: Map<string, OpStatus>;
  subscribers: Set<Subscriber>;
  abort: AbortController;
}

/**
 * Op states of the executions someone is looking at: one watch of the source per execution,
 * however many pages follow it, fanned out to each (a new page first gets every op's current
 * status). The watch starts with the first page and ends with the last; a broken stream is
 * re-opened (its first messages re-synchronise).
 */
export class LiveExecutions {
  readonly #source: ExecutionSource;
  readonly #log: Logger;
  readonly #retryDelayMs: number;
  readonly #hubs = new Map<string, Hub>();

  constructor(deps: { source: ExecutionSource; log: Logger; retryDelayMs?: number }) {
    this.#source = deps.source;
    this.#log = deps.log;
    this.#retryDelayMs = deps.retryDelayMs ?? 1_000;
  }

  /** Every known op status of the execution, then each change, until `signal` aborts. */
  async *follow(
    executionId: string,
    signal: AbortSignal,
  ): AsyncGenerator<OpStatus, void, undefined> {
    const hub = this.#hubOf(executionId);
    const subscriber: Subscriber = { queue: [...hub.ops.values()], wake: undefined };
    hub.subscribers.add(subscriber);
    const onAbort = () => subscriber.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (subscriber.queue.length === 0) {
          await new Promise<void>((resolve) => (subscriber.wake = resolve));
          subscriber.wake = undefined;
          continue;
        }
        const batch = subscriber.queue.splice(0);
        for (const status of batch) yield status;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      hub.subscribers.delete(subscriber);
      if (hub.subscribers.size === 0) {
        hub.abort.abort();
        this.#hubs.delete(executionId);
      }
    }
  }

  /** Ends every watch (site stopping). */
  stop(): void {
    for (const hub of this.#hubs.values()) {
      hub.abort.abort();
      for (const subscriber of hub.subscribers) subscriber.wake?.();
    }
    this.#hubs.clear();
  }

  #hubOf(executionId: string): Hub {
    let hub = this.#hubs.get(executionId);
    if (hub === undefined) {
      hub = { ops: new Map(), subscribers: new Set(), abort: new AbortController() };
      this.#hubs.set(executionId, hub);
      void this.#run(executionId, hub);
    }
    return hub;
  }

  async #run(executionId: string, hub: Hub): Promise<void> {
    const { signal } = hub.abort;
    while (!signal.aborted) {
      try {
        for await (const status of this.#source.watchOps(executionId, signal)) {
          const merged = mergeOpStatus(hub.ops.get(status.taskId), status);
          hub.ops.set(status.taskId, merged);
          for (const subscriber of hub.subscribers) {
            subscriber.queue.push(merged);
            subscriber.wake?.();
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        this.#log.warn({ err, executionId }, 'op status stream broke; re-opening');
      }
      await delay(this.#retryDelayMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
