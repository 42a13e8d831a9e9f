import { describe, expect, it } from 'vitest';
import { InvalidArgument } from '@lzy/errors';
import { checkNewSubject, hashOneTimeToken, toCredentialRecord } from './subject.ts';

describe('credentials', () => {
  it('stores a one-time token only as its hash', () => {
    const record = toCredentialRecord({
      name: 'main',
      type: 'OTT',
      secret: 'dm0tMS91dWlk',
      expiredAt: new Date(1),
    });
    expect(record.value).toBe(hashOneTimeToken('dm0tMS91dWlk'));
    expect(record.value).not.toContain('dm0tMS91dWlk');
  });

  it('requires an expiry on a one-time token', () => {
    expect(() => toCredentialRecord({ name: 'main', type: 'OTT', secret: 't' })).toThrow(
      /expired_at/,
    );
  });

  it('refuses text that is not a public key, and COOKIE credentials', () => {
    expect(() =>
      toCredentialRecord({ name: 'k', type: 'PUBLIC_KEY', secret: 'ssh-rsa AAAA' }),
    ).toThrow(InvalidArgument);
    expect(() => toCredentialRecord({ name: 'k', type: 'COOKIE', secret: 'c' })).toThrow(
      /PUBLIC_KEY or OTT/,
    );
  });
});

describe('new subjects', () => {
  const base = { type: 'VM' as const, authProvider: 'INTERNAL' as const, credentials: [] };

  it('refuses INTERNAL USER subjects: only the internal identity is one', () => {
    expect(() => checkNewSubject({ ...base, type: 'USER', providerSubjectId: 'someone' })).toThrow(
      InvalidArgument,
    );
  });

  it('refuses duplicate credential names and an empty provider id', () => {
    const key = { name: 'k', type: 'PUBLIC_KEY' as const, value: 'stored PEM' };
    expect(() =>
      checkNewSubject({ ...base, providerSubjectId: 'vm-1', credentials: [key, key] }),
    ).toThrow(/twice/);
    expect(() => checkNewSubject({ ...base, providerSubjectId: '' })).toThrow(InvalidArgument);
  });
});
