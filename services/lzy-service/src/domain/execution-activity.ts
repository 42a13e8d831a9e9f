import type { Logger } from '@lzy/logging';
import type { Clock } from '@lzy/operations';

/** The store ExecutionActivity writes through (ExecutionStore). */
export interface ActivityStore {
  touch(executionIds: readonly string[], now: Date): Promise<void>;
}

export interface ExecutionActivityDeps {
  store: ActivityStore;
  clock: Clock;
  log: Logger;
  /** An execution's activity is written at most once per this (ms). */
  flushIntervalMs: number;
}

/**
 * What the execution reaper reads: calls of a client for its execution, recorded cheaply. A call
 * writes `last_activity_at` only when this replica has not written it for `flushIntervalMs`, so a
 * client polling GraphStatus every few milliseconds costs one UPDATE a minute. Open ReadStdSlots
 * streams are counted here; the reaper refreshes their executions at every pass (so a stream open
 * on this replica also keeps the execution alive for the reaper of another replica).
 */
export class ExecutionActivity {
  readonly #deps: ExecutionActivityDeps;
  /** executionId → when this replica last wrote its activity (epoch ms). */
  readonly #written = new Map<string, number>();
  /** executionId → open ReadStdSlots streams. */
  readonly #streams = new Map<string, number>();

  constructor(deps: ExecutionActivityDeps) {
    this.#deps = deps;
  }

  /** A call of the client for `executionId`. Never throws: a failed write is logged. */
  async touch(executionId: string): Promise<void> {
    const now = this.#deps.clock.now();
    const written = this.#written.get(executionId);
    if (written !== undefined && now - written < this.#deps.flushIntervalMs) return;
    this.#written.set(executionId, now);
    await this.#deps.store.touch([executionId], new Date(now)).catch((err: unknown) => {
      this.#written.delete(executionId);
      this.#deps.log.warn({ err, executionId }, 'cannot record the activity of an execution');
    });
  }

  /** Counts an open stream of `executionId` until the returned function is called. */
  openStream(executionId: string): () => void {
    this.#streams.set(executionId, (this.#streams.get(executionId) ?? 0) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const left = (this.#streams.get(executionId) ?? 1) - 1;
      if (left > 0) this.#streams.set(executionId, left);
      else this.#streams.delete(executionId);
    };
  }

  /** Executions with a stream open on this replica. */
  streaming(): string[] {
    return [...this.#streams.keys()];
  }

  /** Drops what is remembered of executions not written since `beforeMs` (bounded memory). */
  prune(beforeMs: number): void {
    for (const [executionId, written] of this.#written) {
      if (written < beforeMs) this.#written.delete(executionId);
    }
  }
}
