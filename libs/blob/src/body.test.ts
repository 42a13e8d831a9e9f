import { InvalidArgument } from '@lzy/errors';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardedBody, validateRange } from './body.ts';

async function drain(stream: Readable): Promise<string> {
  return Buffer.concat(await stream.toArray()).toString();
}

describe('guardedBody', () => {
  it('passes bytes through and counts them', async () => {
    const guarded = guardedBody('k', Readable.from([Buffer.from('ab'), Buffer.from('cde')]));
    expect(await drain(guarded)).toBe('abcde');
    expect(guarded.bytes).toBe(5);
  });

  it('fails with InvalidArgument when the body is longer or shorter than sizeBytes', async () => {
    await expect(drain(guardedBody('k', Buffer.from('abc'), 2))).rejects.toThrow(InvalidArgument);
    await expect(drain(guardedBody('k', Buffer.from('abc'), 4))).rejects.toThrow(InvalidArgument);
    expect(await drain(guardedBody('k', Buffer.from('abc'), 3))).toBe('abc');
  });

  it('rejects a negative or fractional sizeBytes', () => {
    expect(() => guardedBody('k', Buffer.from(''), -1)).toThrow(InvalidArgument);
    expect(() => guardedBody('k', Buffer.from(''), 1.5)).toThrow(InvalidArgument);
  });

  it('fails with the source error', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    await expect(drain(guardedBody('k', source))).rejects.toThrow('source broke');
  });
});

describe('validateRange', () => {
  it('accepts start <= end and open ends, rejects the rest', () => {
    expect(() => validateRange({ start: 0 })).not.toThrow();
    expect(() => validateRange({ start: 3, end: 3 })).not.toThrow();
    expect(() => validateRange({ start: 4, end: 3 })).toThrow(InvalidArgument);
    expect(() => validateRange({ start: -1 })).toThrow(InvalidArgument);
    expect(() => validateRange({ start: 0.5 })).toThrow(InvalidArgument);
  });
});
