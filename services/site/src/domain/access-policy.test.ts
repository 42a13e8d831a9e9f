import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { checkKeyName, executionScope, visibleKeys } from './access-policy.ts';

describe('access policy', () => {
  it("scopes a user to their own executions; everyone's only for operators", () => {
    expect(executionScope({ userId: 'u', isAdmin: false }, false)).toBe('u');
    expect(() => executionScope({ userId: 'u', isAdmin: false }, true)).toThrow(PermissionDenied);
    expect(executionScope({ userId: 'u', isAdmin: true }, true)).toBeUndefined();
    expect(executionScope({ userId: 'u', isAdmin: true }, false)).toBe('u');
  });

  it('hides session keys and other credentials from the keys page', () => {
    const keys = visibleKeys([
      { name: 'laptop', type: 'PUBLIC_KEY', value: 'pem', expiresAt: undefined },
      { name: 'site-session-1', type: 'PUBLIC_KEY', value: 'pem', expiresAt: undefined },
      { name: 'token', type: 'OTHER', value: '', expiresAt: undefined },
    ]);
    expect(keys.map((k) => k.name)).toEqual(['laptop']);
  });

  it('refuses reserved and malformed key names', () => {
    expect(checkKeyName('laptop-2024.rsa')).toBe('laptop-2024.rsa');
    for (const bad of ['', 'site-session-x', 'a b', '../x', 'x'.repeat(65), '-dash']) {
      expect(() => checkKeyName(bad)).toThrow(InvalidArgument);
    }
  });
});
