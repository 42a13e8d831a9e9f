import { describe, expect, it } from 'vitest';
import { CsrfGuard, isAllowedOrigin, isUnsafeMethod } from './csrf.ts';

describe('CSRF', () => {
  const guard = new CsrfGuard(Buffer.alloc(32, 7));

  it("accepts the session's own token only", () => {
    const token = guard.tokenFor('sid-1');
    expect(guard.isValid('sid-1', token)).toBe(true);
    expect(guard.isValid('sid-2', token)).toBe(false);
    expect(guard.isValid('sid-1', undefined)).toBe(false);
    expect(guard.isValid('sid-1', `${token}x`)).toBe(false);
    expect(new CsrfGuard(Buffer.alloc(32, 8)).isValid('sid-1', token)).toBe(false);
  });

  it('needs the token for every change, not for reads', () => {
    expect(['POST', 'PUT', 'DELETE', 'PATCH'].every(isUnsafeMethod)).toBe(true);
    expect(['GET', 'HEAD', 'OPTIONS'].some(isUnsafeMethod)).toBe(false);
  });

  it("refuses another site's Origin", () => {
    const ours = ['https://lzy.example.com'];
    expect(isAllowedOrigin('https://lzy.example.com', ours)).toBe(true);
    expect(isAllowedOrigin('https://evil.example.com', ours)).toBe(false);
    expect(isAllowedOrigin('null', ours)).toBe(false);
    expect(isAllowedOrigin(undefined, ours)).toBe(true);
  });
});
