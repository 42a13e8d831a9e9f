import { InvalidArgument } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { objectPath, segmentOf } from './fs-paths.ts';

describe('objectPath', () => {
  it('maps segments to directories and marks the object file with a trailing %', () => {
    expect(objectPath('/data', 'runs/42/out.bin')).toBe('/data/runs/42/out.bin%');
    expect(objectPath('/data', 'a')).toBe('/data/a%');
  });

  it('escapes % so that no directory name ends like an object file', () => {
    expect(objectPath('/data', 'x%/y%')).toBe('/data/x%25/y%25%');
  });

  it('rejects keys escaping the root and segments too long for a file name', () => {
    expect(() => objectPath('/data', '../etc/passwd')).toThrow(InvalidArgument);
    expect(() => objectPath('/data', '/etc/passwd')).toThrow(InvalidArgument);
    expect(() => objectPath('/data', 'x'.repeat(255))).toThrow(InvalidArgument);
    expect(() => objectPath('/data', 'x'.repeat(254))).not.toThrow();
  });
});

describe('segmentOf', () => {
  it('inverts the mapping and skips names that are neither objects nor key directories', () => {
    expect(segmentOf('out.bin%', false)).toBe('out.bin');
    expect(segmentOf('y%25%', false)).toBe('y%');
    expect(segmentOf('x%25', true)).toBe('x%');
    expect(segmentOf('.0123abcd.tmp', false)).toBeUndefined();
    expect(segmentOf('odd%', true)).toBeUndefined();
  });
});
