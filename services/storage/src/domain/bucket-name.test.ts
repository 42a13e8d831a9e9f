import { describe, expect, it } from 'vitest';
import { checkBucketName, userBucketName } from './bucket-name.ts';

describe('userBucketName', () => {
  it('keeps a user id that is already a valid bucket name part', () => {
    expect(userBucketName('alice-1')).toBe('tmp-bucket-alice-1');
  });

  it('lowercases and replaces other characters, adding a hash so ids never collide', () => {
    const a = userBucketName('Alice_1');
    const b = userBucketName('alice.1');
    expect(a).toMatch(/^tmp-bucket-alice-1-[0-9a-f]{8}$/);
    expect(b).toMatch(/^tmp-bucket-alice-1-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  it('caps the name at 63 characters and keeps it valid', () => {
    const name = userBucketName('x'.repeat(200));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(checkBucketName(name)).toBe(name);
  });

  it('names a bucket even for an id without usable characters', () => {
    expect(checkBucketName(userBucketName('___'))).toMatch(/^tmp-bucket-[0-9a-f]{8}$/);
  });
});

describe('checkBucketName', () => {
  it('rejects upper case, underscores and a trailing dash', () => {
    for (const bad of ['Bucket', 'a_b', 'ab-', 'ab', 'a--b'])
      expect(() => checkBucketName(bad)).toThrow(/not a valid bucket name/);
  });
});
