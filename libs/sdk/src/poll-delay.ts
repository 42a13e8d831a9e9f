/**
 * Delays between polls of a unary status RPC (the public API has no push for GraphStatus or
 * operations): the first after `minMs`, each unchanged answer doubles it up to `maxMs`, a change
 * starts over at `minMs`. A short op is seen done within a few ms; a long one costs one call per
 * `maxMs`.
 */
export class PollDelay {
  readonly #minMs: number;
  readonly #maxMs: number;
  #currentMs: number;

  constructor(minMs: number, maxMs: number) {
    this.#minMs = Math.min(minMs, maxMs);
    this.#maxMs = maxMs;
    this.#currentMs = this.#minMs;
  }

  /** The delay before the next poll; `changed`: the last answer differed from the one before. */
  next(changed: boolean): number {
    if (changed) this.#currentMs = this.#minMs;
    const delay = this.#currentMs;
    this.#currentMs = Math.min(this.#maxMs, this.#currentMs * 2);
    return delay;
  }
}
