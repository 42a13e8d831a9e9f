/** One watcher's view of a key's changes: `next()` resolves once something changed since the last call. */
export interface ChangeSubscription {
  /**
   * Resolves at once if a change happened since the previous call (or since subscribing, for the
   * first call), else on the next change. Resolves `false` once the events are closed or `signal`
   * aborts: the watcher should end.
   */
  next(signal: AbortSignal): Promise<boolean>;
  close(): void;
}

interface Watcher {
  dirty: boolean;
  wake: (() => void) | undefined;
}

/**
 * In-process change notifications per key (a channel id, a graph id), so server streams are woken by the
 * same code path that changed the data (and by pg NOTIFY from other instances) instead of
 * polling. Subscribe BEFORE reading the state, then read, then `next()`: no change is missed.
 */
export class ChangeEvents {
  readonly #watchers = new Map<string, Set<Watcher>>();
  #closed = false;

  subscribe(key: string): ChangeSubscription {
    const watcher: Watcher = { dirty: false, wake: undefined };
    let set = this.#watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(key, set);
    }
    set.add(watcher);
    const close = () => {
      set.delete(watcher);
      if (set.size === 0 && this.#watchers.get(key) === set) this.#watchers.delete(key);
    };
    return {
      close,
      next: (signal) => {
        if (this.#closed || signal.aborted) return Promise.resolve(false);
        if (watcher.dirty) {
          watcher.dirty = false;
          return Promise.resolve(true);
        }
        return new Promise<boolean>((resolve) => {
          const onAbort = () => {
            watcher.wake = undefined;
            resolve(false);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          watcher.wake = () => {
            signal.removeEventListener('abort', onAbort);
            watcher.wake = undefined;
            watcher.dirty = false;
            resolve(!this.#closed);
          };
        });
      },
    };
  }

  /** Marks `key` changed and wakes its watchers. */
  notify(key: string): void {
    for (const watcher of this.#watchers.get(key) ?? []) this.#mark(watcher);
  }

  /** Wakes every watcher (e.g. after missing notifications while disconnected). */
  notifyAll(): void {
    for (const set of this.#watchers.values()) for (const watcher of set) this.#mark(watcher);
  }

  /** Ends every watch for good (service stopping). */
  close(): void {
    this.#closed = true;
    this.notifyAll();
  }

  #mark(watcher: Watcher): void {
    watcher.dirty = true;
    watcher.wake?.();
  }
}
