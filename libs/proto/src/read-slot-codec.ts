import { makeGenericClientConstructor } from '@grpc/grpc-js';
import { ReadSlotResponse, SlotsServiceService } from './gen/lzy/internal/slots/v1/slots.ts';
import type { SlotsServiceClient } from './gen/lzy/internal/slots/v1/slots.ts';

/*
 * ReadSlot is the data path (every byte a consumer or portal reads from a producer), so its
 * `chunk` message is encoded and decoded by hand. ts-proto's writer copies a 1 MiB `bytes` field
 * twice, slowly (measured ~7x slower than one Buffer.concat), and its reader copies it again
 * (`Buffer.from(reader.bytes())`). Wire bytes are identical to ts-proto's (unit-tested); every
 * other message, and any chunk with a field layout other than ts-proto's, goes through ts-proto.
 */

function varint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Room before a chunk's data for its message header (3 tags + 3 varints ≤ 33 bytes). */
const HEADROOM_BYTES = 40;
/** ArrayBuffers made by allocReadSlotChunk: their first HEADROOM_BYTES are ours to write. */
const withHeadroom = new WeakSet<ArrayBufferLike>();

/**
 * A buffer for up to `sizeBytes` of a ReadSlot chunk's data, with room before it where the
 * serializer writes the message header instead of copying the data behind a new header. Send
 * it (or a prefix: `subarray(0, n)`) as a chunk's `data`. Each buffer is its own allocation.
 */
export function allocReadSlotChunk(sizeBytes: number): Buffer {
  const whole = Buffer.allocUnsafeSlow(HEADROOM_BYTES + sizeBytes);
  withHeadroom.add(whole.buffer);
  return whole.subarray(HEADROOM_BYTES);
}

/**
 * ReadSlotResponse → wire bytes. A chunk's data from allocReadSlotChunk is not copied (the
 * header goes into its headroom); any other data is copied once behind the header.
 */
export function serializeReadSlotResponse(message: ReadSlotResponse): Buffer {
  const event = message.event;
  if (event?.$case !== 'chunk') return Buffer.from(ReadSlotResponse.encode(message).finish());
  const { offset, data } = event.value;
  const inner: number[] = [];
  if (offset !== 0) {
    inner.push(0x08); // field 1 (offset), varint
    varint(offset, inner);
  }
  if (data.length !== 0) {
    inner.push(0x12); // field 2 (data), length-delimited
    varint(data.length, inner);
  }
  const header: number[] = [0x0a]; // field 1 (chunk), length-delimited
  varint(inner.length + data.length, header);
  header.push(...inner);
  if (withHeadroom.has(data.buffer) && data.byteOffset === HEADROOM_BYTES) {
    const start = HEADROOM_BYTES - header.length;
    const framed = Buffer.from(data.buffer, start, header.length + data.length);
    framed.set(header, 0);
    return framed;
  }
  return Buffer.concat([Buffer.from(header), data]);
}

/** Reads a varint at `at`; undefined if it runs past `end` or past 2^53. */
function readVarint(
  buf: Buffer,
  at: number,
  end: number,
): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < end && i < at + 8; i++) {
    const byte = buf[i] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: i + 1 };
    scale *= 0x80;
  }
  return undefined;
}

/**
 * Wire bytes → ReadSlotResponse. A chunk's `data` is a view of `buf` (no copy): grpc-js hands
 * each message its own buffer, so the view stays valid for as long as it is referenced.
 */
export function deserializeReadSlotResponse(buf: Buffer): ReadSlotResponse {
  const end = buf.length;
  const length = buf[0] === 0x0a ? readVarint(buf, 1, end) : undefined;
  if (length === undefined || length.next + length.value !== end)
    return ReadSlotResponse.decode(buf);
  let at = length.next;
  let offset = 0;
  if (buf[at] === 0x08) {
    const parsed = readVarint(buf, at + 1, end);
    if (parsed === undefined) return ReadSlotResponse.decode(buf);
    offset = parsed.value;
    at = parsed.next;
  }
  let data: Buffer = Buffer.alloc(0);
  if (at < end) {
    const size = buf[at] === 0x12 ? readVarint(buf, at + 1, end) : undefined;
    if (size === undefined || size.next + size.value !== end) return ReadSlotResponse.decode(buf);
    data = buf.subarray(size.next, end);
  }
  return { event: { $case: 'chunk', value: { offset, data } } };
}

/** SlotsService with the hand-rolled ReadSlot codec: register this on servers. */
export const fastSlotsServiceDefinition = {
  ...SlotsServiceService,
  readSlot: {
    ...SlotsServiceService.readSlot,
    responseSerialize: serializeReadSlotResponse,
    responseDeserialize: deserializeReadSlotResponse,
  },
} as const;

/** slots.SlotsServiceClient with the hand-rolled ReadSlot codec (same API, same wire). */
export const FastSlotsServiceClient = makeGenericClientConstructor(
  fastSlotsServiceDefinition,
  'lzy.internal.slots.v1.SlotsService',
) as unknown as typeof SlotsServiceClient;
