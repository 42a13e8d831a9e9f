import { Readable } from 'node:stream';
import { FailedPrecondition, InvalidArgument } from '@lzy/errors';

/**
 * How op arguments and results are stored (in S3 and in slot files): one tag byte, then the
 * payload. `J` = UTF-8 JSON (an empty payload is `undefined`), `B` = raw bytes, read back as a
 * Buffer, `S` = raw bytes of a stream, read back as a Readable. Bytes are never base64-encoded
 * nor copied whole: the tag is a separate chunk in front of the caller's buffer or stream.
 */
export const JSON_TAG = 0x4a; // 'J'
export const BYTES_TAG = 0x42; // 'B'
export const STREAM_TAG = 0x53; // 'S'

/**
 * A value an op may take or return: JSON data, binary data as a Buffer/Uint8Array, or a Node
 * Readable of bytes (streamed through, never held whole; readable once).
 */
export type LzyValue = unknown;

/** A value that travels as a stream: a Node Readable of Buffers, Uint8Arrays or strings. */
export function isByteStream(value: unknown): value is Readable {
  return value instanceof Readable;
}

/**
 * The stored form of any value as chunks to write in order: a stream's bytes are pulled from it
 * as they come (the tag first), other values are encoded at once (encodeValue).
 * @returns the chunks and the total size when known in advance (not for a stream).
 * @throws InvalidArgument as encodeValue; while iterating, for a chunk that is not bytes or text.
 */
export function encodeAny(value: LzyValue): {
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  sizeBytes: number | undefined;
} {
  if (!isByteStream(value)) return encodeValue(value);
  return { chunks: streamChunks(value), sizeBytes: undefined };
}

async function* streamChunks(stream: Readable): AsyncIterable<Uint8Array> {
  yield Uint8Array.of(STREAM_TAG);
  for await (const chunk of stream) {
    // Readable.from(array) is in object mode: its chunks count if they are bytes or text.
    if (typeof chunk === 'string') yield Buffer.from(chunk);
    else if (chunk instanceof Uint8Array) yield chunk;
    else
      throw new InvalidArgument('a Readable passed as an op value must carry bytes, not objects');
  }
}

/**
 * Decodes a stored value from its bytes: a stream value becomes a Readable of the bytes after
 * its tag, pulled from `source` as it is read; any other value is read whole into one buffer
 * of `sizeBytes` (known from the file or the object) and decoded.
 * @throws as decodeValue; FailedPrecondition if `source` holds more than `sizeBytes`.
 */
export async function decodeFrom(
  source: AsyncIterable<Uint8Array>,
  sizeBytes: number,
): Promise<LzyValue> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done === true ? Buffer.alloc(0) : Buffer.from(first.value);
  if (head[0] === STREAM_TAG) return Readable.from(restOf(head.subarray(1), iterator));
  const data = Buffer.allocUnsafe(sizeBytes);
  let offset = 0;
  for (let next = first; next.done !== true; next = await iterator.next()) {
    const bytes = next.value;
    if (offset + bytes.byteLength > data.byteLength) {
      await iterator.return?.();
      throw new FailedPrecondition('a stored value changed while it was read');
    }
    data.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return decodeValue(data.subarray(0, offset));
}

async function* restOf(
  head: Buffer,
  iterator: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    if (head.byteLength > 0) yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      yield next.value;
    }
  } finally {
    await iterator.return?.(); // the reader stopped early: release the file or the S3 body
  }
}

/** The encoded form of a value: chunks to write one after the other (no concatenation). */
export interface EncodedValue {
  chunks: Uint8Array[];
  sizeBytes: number;
}

/**
 * Encodes `value`: a Uint8Array (Buffer included) as bytes, anything else as JSON.
 * @throws InvalidArgument if the value cannot be JSON-serialised (a function, a BigInt, a cycle).
 */
export function encodeValue(value: LzyValue): EncodedValue {
  if (value instanceof Uint8Array) {
    return { chunks: [Uint8Array.of(BYTES_TAG), value], sizeBytes: value.byteLength + 1 };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgument(`cannot serialise value as JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (json === undefined && value !== undefined) {
    throw new InvalidArgument(
      `cannot serialise a ${typeof value} as JSON; pass JSON data or a Buffer/Uint8Array`,
    );
  }
  const payload = Buffer.from(json ?? '', 'utf8');
  return { chunks: [Uint8Array.of(JSON_TAG), payload], sizeBytes: payload.byteLength + 1 };
}

/**
 * Decodes a whole stored value. Bytes come back as a Buffer sharing `data`'s memory.
 * @throws InvalidArgument for an empty buffer or an unknown tag (not written by this SDK).
 */
export function decodeValue(data: Buffer): LzyValue {
  const tag = data[0];
  if (tag === BYTES_TAG) return data.subarray(1);
  if (tag === STREAM_TAG) return Readable.from([data.subarray(1)]);
  if (tag === JSON_TAG) {
    return data.byteLength === 1 ? undefined : (JSON.parse(data.toString('utf8', 1)) as unknown);
  }
  throw new InvalidArgument(
    tag === undefined
      ? 'stored value is empty; it was not written by the LZY TypeScript SDK'
      : `stored value has unknown tag 0x${tag.toString(16)}; it was not written by the LZY TypeScript SDK`,
  );
}
