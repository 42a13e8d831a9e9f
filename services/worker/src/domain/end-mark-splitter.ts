/**
 * Cuts a byte stream at the first occurrence of `mark`: the bytes before it are the current
 * call's, those after it the next one's. A chunk ending in a possible beginning of the mark is
 * held back until the next chunk decides.
 */
export class EndMarkSplitter {
  readonly #mark: Buffer;
  #held: Buffer = Buffer.alloc(0);

  constructor(mark: Buffer) {
    if (mark.length === 0) throw new Error('an end mark must not be empty');
    this.#mark = mark;
  }

  /**
   * @returns `data`, the bytes now known to come before the mark, and once the mark was seen
   *   `rest`, the bytes after it (later pushes are not expected).
   */
  push(chunk: Buffer): { data: Buffer; rest?: Buffer } {
    const buffer = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = Buffer.alloc(0);
    const at = buffer.indexOf(this.#mark);
    if (at >= 0)
      return { data: buffer.subarray(0, at), rest: buffer.subarray(at + this.#mark.length) };
    const keep = this.#prefixSuffixLength(buffer);
    this.#held = Buffer.from(buffer.subarray(buffer.length - keep));
    return { data: buffer.subarray(0, buffer.length - keep) };
  }

  /** The held-back bytes (the stream ended without the mark: they were data after all). */
  flush(): Buffer {
    const held = this.#held;
    this.#held = Buffer.alloc(0);
    return held;
  }

  /** The longest suffix of `buffer` that is a proper prefix of the mark. */
  #prefixSuffixLength(buffer: Buffer): number {
    for (let k = Math.min(this.#mark.length - 1, buffer.length); k > 0; k--) {
      if (buffer.subarray(buffer.length - k).equals(this.#mark.subarray(0, k))) return k;
    }
    return 0;
  }
}
