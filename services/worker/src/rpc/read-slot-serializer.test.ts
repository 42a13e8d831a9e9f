import { describe, expect, it } from 'vitest';
import { slots } from '@lzy/proto';
import { serializeReadSlotResponse } from './read-slot-serializer.ts';

const encode = (m: slots.ReadSlotResponse) =>
  Buffer.from(slots.ReadSlotResponse.encode(m).finish());

describe('serializeReadSlotResponse', () => {
  it.each([
    [0, 0],
    [0, 5],
    [1, 200],
    [2 ** 40 + 3, 1024 * 1024],
    [Number.MAX_SAFE_INTEGER, 3],
  ])('encodes a chunk at offset %d with %d bytes exactly like ts-proto', (offset, size) => {
    const data = Buffer.alloc(size, 0xab);
    const message: slots.ReadSlotResponse = { event: { $case: 'chunk', value: { offset, data } } };
    expect(serializeReadSlotResponse(message).equals(encode(message))).toBe(true);
  });

  it('encodes end-of-stream through ts-proto', () => {
    const message: slots.ReadSlotResponse = { event: { $case: 'eos', value: { sizeBytes: 42 } } };
    expect(serializeReadSlotResponse(message).equals(encode(message))).toBe(true);
  });
});
