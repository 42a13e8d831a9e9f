import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { checkOtt, newOtt, ottSha256 } from './vm-ott.ts';

describe('checkOtt', () => {
  it('accepts the token whose hash is stored', () => {
    const ott = newOtt();
    expect(() => checkOtt('vm-1', ott, ottSha256(ott))).not.toThrow();
  });

  it('refuses a token issued for another VM', () => {
    const mine = newOtt();
    expect(() => checkOtt('vm-1', newOtt(), ottSha256(mine))).toThrow(PermissionDenied);
  });
});
