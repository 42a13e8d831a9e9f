import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from './serialization.ts';

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
});
