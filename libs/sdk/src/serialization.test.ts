import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeFrom, decodeValue, encodeAny, encodeValue } from './serialization.ts';

async function collect(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

function roundTrip(value: unknown): unknown {
  return decodeValue(Buffer.concat(encodeValue(value).chunks));
}

describe('value serialisation', () => {
  it.each([[42], ['text'], [{ a: [1, 2, { b: null }] }], [null], [true]])(
    'round-trips the JSON value %j',
    (value) => {
      expect(roundTrip(value)).toEqual(value);
    },
  );

  it('round-trips undefined as an empty JSON payload', () => {
    expect(encodeValue(undefined).sizeBytes).toBe(1);
    expect(roundTrip(undefined)).toBeUndefined();
  });

  it('stores a Buffer as raw bytes behind one tag byte, without copying it', () => {
    const buffer = Buffer.from([0, 1, 2, 255]);
    const encoded = encodeValue(buffer);
    expect(encoded.sizeBytes).toBe(5);
    expect(encoded.chunks[1]).toBe(buffer);
    const decoded = roundTrip(buffer);
    expect(Buffer.isBuffer(decoded)).toBe(true);
    expect(decoded).toEqual(buffer);
  });

  it('reads a Uint8Array back as a Buffer with the same bytes', () => {
    expect(roundTrip(new Uint8Array([7, 8, 9]))).toEqual(Buffer.from([7, 8, 9]));
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => encodeValue(() => 1)).toThrow(/cannot serialise a function/);
    expect(() => encodeValue(10n)).toThrow(/cannot serialise value as JSON/);
  });

  it('refuses data without a known tag', () => {
    expect(() => decodeValue(Buffer.from('x'))).toThrow(/unknown tag 0x78/);
    expect(() => decodeValue(Buffer.alloc(0))).toThrow(/empty/);
  });

  it('streams a Readable through behind its tag and reads it back as a Readable', async () => {
    const parts = [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('e')];
    const encoded = encodeAny(Readable.from(parts));
    expect(encoded.sizeBytes).toBeUndefined();
    const stored = await collect(encoded.chunks);
    expect(stored.toString()).toBe('Sabcde');

    const decoded = await decodeFrom(Readable.from([stored.subarray(0, 2), stored.subarray(2)]), 0);
    expect(decoded).toBeInstanceOf(Readable);
    expect((await collect(decoded as Readable)).toString()).toBe('abcde');
  });

  it('reads JSON and bytes whole from a chunked source', async () => {
    const json = await collect(encodeAny({ a: 1 }).chunks);
    expect(
      await decodeFrom(Readable.from([json.subarray(0, 3), json.subarray(3)]), json.length),
    ).toEqual({ a: 1 });
    await expect(decodeFrom(Readable.from([json]), json.length - 1)).rejects.toThrow(/changed/);
  });

  it('refuses a Readable of objects that are not bytes', async () => {
    await expect(collect(encodeAny(Readable.from([{ a: 1 }])).chunks)).rejects.toThrow(
      /bytes, not objects/,
    );
  });
});
