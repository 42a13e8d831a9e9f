/** A replayable push stream for test doubles: followers get every item so far, then live ones. */
export class Feed<T> {
  readonly #items: T[] = [];
  readonly #waiting = new Set<() => void>();
  #closed = false;

  get items(): readonly T[] {
    return this.#items;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#wake();
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  async *follow(signal: AbortSignal): AsyncGenerator<T, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.#items.length) yield this.#items[next++] as T;
      if (this.#closed || signal.aborted) return;
      await new Promise<void>((resolve) => {
        this.#waiting.add(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  #wake(): void {
    for (const resolve of this.#waiting) resolve();
    this.#waiting.clear();
  }
}
