import { describe, expect, it } from 'vitest';
import { ReadSlotResponse } from './gen/lzy/internal/slots/v1/slots.ts';
import {
  allocReadSlotChunk,
  deserializeReadSlotResponse,
  serializeReadSlotResponse,
} from './read-slot-codec.ts';

const encode = (m: ReadSlotResponse) => Buffer.from(ReadSlotResponse.encode(m).finish());

const CHUNKS: Array<[number, number]> = [
  [0, 0],
  [0, 5],
  [1, 200],
  [2 ** 40 + 3, 1024 * 1024],
  [Number.MAX_SAFE_INTEGER, 3],
];

describe('serializeReadSlotResponse', () => {
  it.each(CHUNKS)(
    'encodes a chunk at offset %d with %d bytes exactly like ts-proto',
    (offset, size) => {
      const data = Buffer.alloc(size, 0xab);
      const message: ReadSlotResponse = { event: { $case: 'chunk', value: { offset, data } } };
      expect(serializeReadSlotResponse(message).equals(encode(message))).toBe(true);
    },
  );

  it.each(CHUNKS)(
    'encodes data with headroom at offset %d with %d bytes in place, exactly like ts-proto',
    (offset, size) => {
      const data = allocReadSlotChunk(size + 10)
        .subarray(0, size)
        .fill(0x5c);
      const message: ReadSlotResponse = { event: { $case: 'chunk', value: { offset, data } } };
      const wire = serializeReadSlotResponse(message);
      expect(wire.equals(encode(message))).toBe(true);
      expect(wire.buffer).toBe(data.buffer);
    },
  );

  it('encodes end-of-stream through ts-proto', () => {
    const message: ReadSlotResponse = { event: { $case: 'eos', value: { sizeBytes: 42 } } };
    expect(serializeReadSlotResponse(message).equals(encode(message))).toBe(true);
  });
});

describe('deserializeReadSlotResponse', () => {
  it.each(CHUNKS)(
    'decodes a chunk at offset %d with %d bytes like ts-proto, without a copy',
    (offset, size) => {
      const data = Buffer.alloc(size, 0xcd);
      const message: ReadSlotResponse = { event: { $case: 'chunk', value: { offset, data } } };
      const wire = encode(message);
      const decoded = deserializeReadSlotResponse(wire);
      expect(decoded).toEqual(ReadSlotResponse.decode(wire));
      if (decoded.event?.$case === 'chunk' && size > 0)
        expect(decoded.event.value.data.buffer).toBe(wire.buffer);
    },
  );

  it('decodes end-of-stream and other layouts through ts-proto', () => {
    const eos = encode({ event: { $case: 'eos', value: { sizeBytes: 7 } } });
    expect(deserializeReadSlotResponse(eos)).toEqual({
      event: { $case: 'eos', value: { sizeBytes: 7 } },
    });
    // data before offset (legal protobuf, not what ts-proto writes)
    const reordered = Buffer.from([0x0a, 0x06, 0x12, 0x02, 0x01, 0x02, 0x08, 0x09]);
    expect(deserializeReadSlotResponse(reordered)).toEqual(ReadSlotResponse.decode(reordered));
  });
});
