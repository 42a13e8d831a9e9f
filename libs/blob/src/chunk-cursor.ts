/**
 * Reads an async byte source into caller-owned buffers, carrying a partly used chunk over to
 * the next call. Lets the S3 uploader fill a few reused part buffers instead of allocating
 * (and leaving to the GC) a new concatenated buffer per part.
 */
export class ChunkCursor {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Fills `buf` from the start; returns the bytes written (< buf.length only at the end). */
  async readInto(buf: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < buf.length) {
      if (this.pending.length === 0) {
        if (!(await this.pull())) break;
        continue;
      }
      const n = Math.min(this.pending.length, buf.length - filled);
      buf.set(this.pending.subarray(0, n), filled);
      filled += n;
      this.pending = this.pending.subarray(n);
    }
    return filled;
  }

  /**
   * Reads up to `limit` bytes into a new buffer sized to what was read: fewer bytes only at the
   * end. For the first part of an upload, so a small body never costs a whole part buffer.
   */
  async read(limit: number): Promise<Buffer> {
    const pieces: Uint8Array[] = [];
    let total = 0;
    while (total < limit) {
      if (this.pending.length === 0) {
        if (!(await this.pull())) break;
        continue;
      }
      const piece = this.pending.subarray(0, limit - total);
      pieces.push(piece);
      total += piece.length;
      this.pending = this.pending.subarray(piece.length);
    }
    return Buffer.concat(pieces, total);
  }

  /** Loads the next source chunk into `pending`; false at the end of the source. */
  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.pending = next.value;
    return true;
  }

  /** Stops reading early; for a Readable source this destroys the stream. */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }
}
