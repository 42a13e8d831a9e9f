import { InvalidArgument } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { validateKey, validateLimit, validatePrefix } from './blob-keys.ts';

describe('validateKey', () => {
  it.each([
    'a',
    'runs/42/out.bin',
    'with space/ü/файл',
    '.hidden/x',
    'a..b',
    '%25',
    'k'.repeat(1024),
  ])('accepts %j', (key) => {
    expect(() => validateKey(key)).not.toThrow();
  });

  it.each([
    '',
    '/abs',
    'a/',
    'a//b',
    '.',
    '..',
    'a/./b',
    'a/../b',
    'a\\b',
    'tab\t',
    'del\u007f',
    'é'.repeat(513),
  ])('rejects %j with InvalidArgument', (key) => {
    expect(() => validateKey(key)).toThrow(InvalidArgument);
  });
});

describe('validatePrefix', () => {
  it.each(['', 'a', 'runs/', 'runs/4', 'a/b/', 'a/.'])('accepts %j', (prefix) => {
    expect(() => validatePrefix(prefix)).not.toThrow();
  });

  it.each(['/', '/a', 'a//', '../', 'a/../', 'x\u0000'])('rejects %j', (prefix) => {
    expect(() => validatePrefix(prefix)).toThrow(InvalidArgument);
  });
});

describe('validateLimit', () => {
  it('accepts 1..1000 and rejects the rest', () => {
    expect(() => validateLimit(1)).not.toThrow();
    expect(() => validateLimit(1000)).not.toThrow();
    for (const bad of [0, -1, 1001, 1.5, Number.NaN]) {
      expect(() => validateLimit(bad)).toThrow(InvalidArgument);
    }
  });
});
