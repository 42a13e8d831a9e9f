import { Cancelled } from '@lzy/errors';

/**
 * Wakes waiters when something they watch changed: `wait()` resolves at the next `notify()`.
 * Watchers re-read the state after each wake-up, so a notify between two waits is never lost as
 * long as they take `wait()` before reading (see TaskRecord / OperationRegistry).
 */
export class ChangeSignal {
  #waiters: Array<() => void> = [];

  /** Resolves at the next notify(); rejects with Cancelled when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new Cancelled('watch cancelled'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new Cancelled('watch cancelled'));
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
