/** A registered interest in the next wake-up of one operation id. */
export interface Wakeup {
  /** Resolves at the next `wake(id)` / `wakeAll()`; rejects with the signal's reason on abort. */
  readonly promise: Promise<void>;
  /** Unregisters; the promise then never settles. */
  cancel(): void;
}

/**
 * In-process registry of callers waiting for operations to change (one per OperationStore, no
 * global state). A wake-up only says "look again": waiters re-read the row, so spurious or early
 * wake-ups (e.g. a NOTIFY for a change that did not finish the operation) are harmless.
 */
export class OperationWaiters {
  readonly #byId = new Map<string, Set<() => void>>();

  /**
   * Registers before the caller reads the current state, so a wake-up between that read and the
   * wait cannot be lost.
   */
  subscribe(id: string, signal?: AbortSignal): Wakeup {
    let resolve!: () => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // An abort while the caller is still reading the row must not count as unhandled.
    promise.catch(() => undefined);
    const cancel = (): void => {
      signal?.removeEventListener('abort', onAbort);
      const set = this.#byId.get(id);
      set?.delete(fire);
      if (set?.size === 0) this.#byId.delete(id);
    };
    const fire = (): void => {
      cancel();
      resolve();
    };
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason);
    };
    if (signal?.aborted) {
      onAbort();
      return { promise, cancel };
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    let set = this.#byId.get(id);
    if (set === undefined) {
      set = new Set();
      this.#byId.set(id, set);
    }
    set.add(fire);
    return { promise, cancel };
  }

  /** Wakes everyone waiting on `id`. */
  wake(id: string): void {
    for (const fire of [...(this.#byId.get(id) ?? [])]) fire();
  }

  /** Wakes every waiter (after missed notifications, e.g. a listener reconnect). */
  wakeAll(): void {
    for (const id of [...this.#byId.keys()]) this.wake(id);
  }

  /** Number of ids being waited on (for tests and metrics). */
  get size(): number {
    return this.#byId.size;
  }
}
