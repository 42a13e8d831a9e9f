import { InvalidArgument } from '@lzy/errors';

/**
 * How op arguments and results are stored (in S3 and in slot files): one tag byte, then the
 * payload. `J` = UTF-8 JSON (an empty payload is `undefined`), `B` = raw bytes, read back as a
 * Buffer. Bytes are never base64-encoded nor copied whole: the tag is a separate chunk in front
 * of the caller's buffer.
 */
export const JSON_TAG = 0x4a; // 'J'
export const BYTES_TAG = 0x42; // 'B'

/** A value an op may take or return: JSON data, or binary data as a Buffer/Uint8Array. */
export type LzyValue = unknown;

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
  if (tag === JSON_TAG) {
    return data.byteLength === 1 ? undefined : (JSON.parse(data.toString('utf8', 1)) as unknown);
  }
  throw new InvalidArgument(
    tag === undefined
      ? 'stored value is empty; it was not written by the LZY TypeScript SDK'
      : `stored value has unknown tag 0x${tag.toString(16)}; it was not written by the LZY TypeScript SDK`,
  );
}
