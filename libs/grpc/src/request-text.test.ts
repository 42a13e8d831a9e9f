import { describe, expect, it } from 'vitest';
import { rejectNulCharacters } from './request-text.ts';

describe('rejectNulCharacters', () => {
  it('names the field holding a NUL, in nested messages, lists, maps and oneofs', () => {
    const ok = {
      graph: { operations: [{ name: 'a', env: { $case: 'python', value: { yaml: 'y' } } }] },
      meta: { k: 'v' },
      blob: new Uint8Array([0, 0]),
    };
    expect(() => rejectNulCharacters(ok)).not.toThrow();
    const op = { name: 'a', env: { $case: 'python', value: { yaml: 'y\u0000' } } };
    expect(() => rejectNulCharacters({ graph: { operations: [op] } })).toThrow(
      'request.graph.operations[0].env.yaml contains a NUL character',
    );
    expect(() => rejectNulCharacters({ meta: { 'k\u0000': 'v' } })).toThrow(
      'request.meta key contains a NUL character',
    );
  });
});
