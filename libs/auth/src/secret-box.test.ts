import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.ts';

const key = (id: string, byte: number) => ({ id, key: new Uint8Array(32).fill(byte) });

describe('SecretBox', () => {
  it('opens what it sealed, and seals the same text differently each time', () => {
    const box = new SecretBox([key('k1', 1)]);
    const a = box.seal('s3cret', 'row-1');
    const b = box.seal('s3cret', 'row-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(a.startsWith('lzy1.k1.')).toBe(true);
    expect(box.open(a, 'row-1')).toBe('s3cret');
    expect(SecretBox.isSealed(a)).toBe(true);
    expect(SecretBox.isSealed('{"uri":"s3://b"}')).toBe(false);
  });

  it('refuses a value sealed for another context (copied from another row)', () => {
    const box = new SecretBox([key('k1', 1)]);
    expect(() => box.open(box.seal('x', 'row-1'), 'row-2')).toThrow(/does not open/);
  });

  it('refuses an altered value', () => {
    const box = new SecretBox([key('k1', 1)]);
    const sealed = box.seal('hello world', 'c');
    const data = Buffer.from(sealed.split('.')[2] ?? '', 'base64url');
    data[14] = (data[14] ?? 0) ^ 1;
    expect(() => box.open(`lzy1.k1.${data.toString('base64url')}`, 'c')).toThrow(/does not open/);
    expect(() => box.open('plain', 'c')).toThrow('not a sealed secret');
  });

  it('rotates: the first key seals, older keys still open, a removed key names itself', () => {
    const old = new SecretBox([key('old', 1)]);
    const sealedOld = old.seal('v', 'c');
    const ring = new SecretBox([key('new', 2), key('old', 1)]);
    expect(ring.open(sealedOld, 'c')).toBe('v');
    expect(ring.isStale(sealedOld)).toBe(true);
    const sealedNew = ring.seal('v', 'c');
    expect(ring.isStale(sealedNew)).toBe(false);
    expect(() => old.open(sealedNew, 'c')).toThrow('key "new", which is not configured');
  });

  it('rejects a ring that is empty, has a short key or a repeated id', () => {
    expect(() => new SecretBox([])).toThrow('empty');
    expect(() => new SecretBox([{ id: 'a', key: new Uint8Array(16) }])).toThrow('32 bytes');
    expect(() => new SecretBox([key('a', 1), key('a', 2)])).toThrow('repeated');
  });
});
