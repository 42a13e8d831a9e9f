import { InvalidArgument } from '@lzy/errors';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import type { BlobBody, ByteRange } from './blob-store.ts';

/** `body` as a Readable without copying: a Uint8Array becomes a one-chunk stream. */
export function toReadable(body: BlobBody): Readable {
  if (body instanceof Readable) return body;
  if (body instanceof Uint8Array) return Readable.from([body], { objectMode: false });
  return Readable.from(body, { objectMode: false });
}

/**
 * Passes bytes through while counting them; fails the stream with InvalidArgument as soon as
 * the count exceeds `expectedBytes`, or at the end if it falls short, so a store can abort the
 * write before committing it. With no expectation it only counts.
 */
export class SizeGuard extends Transform {
  bytes = 0;
  private readonly expectedBytes: number | undefined;
  private readonly key: string;

  constructor(key: string, expectedBytes: number | undefined) {
    super();
    this.key = key;
    this.expectedBytes = expectedBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedBytes !== undefined && this.bytes > this.expectedBytes) {
      done(this.mismatch(`more than ${this.expectedBytes}`));
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.expectedBytes !== undefined && this.bytes !== this.expectedBytes) {
      done(this.mismatch(String(this.bytes)));
      return;
    }
    done();
  }

  private mismatch(actual: string): InvalidArgument {
    return new InvalidArgument(
      `blob ${JSON.stringify(this.key)}: body has ${actual} bytes but sizeBytes says ` +
        `${this.expectedBytes}; pass the exact size or omit sizeBytes`,
    );
  }
}

/** `body` piped through a SizeGuard; an error in `body` fails the returned stream too. */
export function guardedBody(key: string, body: BlobBody, sizeBytes?: number): SizeGuard {
  if (sizeBytes !== undefined && (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0)) {
    throw new InvalidArgument(`sizeBytes ${sizeBytes} is invalid: use a non-negative integer`);
  }
  const guard = new SizeGuard(key, sizeBytes);
  pipeline(toReadable(body), guard, () => undefined); // errors surface through `guard`
  return guard;
}

/** Throws InvalidArgument unless `range` is well formed (start ≥ 0, end ≥ start, integers). */
export function validateRange(range: ByteRange): void {
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) {
    throw new InvalidArgument(
      `byte range ${JSON.stringify(range)} is invalid: need integers with 0 <= start <= end`,
    );
  }
}
