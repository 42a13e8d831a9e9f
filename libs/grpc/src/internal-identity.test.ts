import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { decodeLzyJwtUnverified, generateRsaKeyPair, verifyLzyJwt } from '@lzy/auth';
import {
  INTERNAL_SUBJECT_ID,
  internalCallCredentials,
  requireInternalCaller,
} from './internal-identity.ts';

describe('internalCallCredentials', () => {
  it('signs an INTERNAL token once and re-signs only when three quarters of its life passed', async () => {
    const keys = await generateRsaKeyPair();
    let nowMs = 1_700_000_000_000;
    const credentials = internalCallCredentials({
      privateKeyPem: keys.privateKeyPem,
      clock: { now: () => nowMs },
      ttlMs: 1000,
    });
    const first = await credentials();
    expect(decodeLzyJwtUnverified(first).claims).toMatchObject({
      iss: INTERNAL_SUBJECT_ID,
      pvd: 'INTERNAL',
    });
    expect(verifyLzyJwt(first, [keys.publicKeyPem], { nowMs }).iss).toBe(INTERNAL_SUBJECT_ID);
    nowMs += 700;
    expect(await credentials()).toBe(first);
    nowMs += 100;
    expect(await credentials()).not.toBe(first);
  });
});

describe('requireInternalCaller', () => {
  it('lets the internal identity and VMs through and refuses users', () => {
    expect(() =>
      requireInternalCaller({ subject: { id: INTERNAL_SUBJECT_ID, type: 'USER' } }),
    ).not.toThrow();
    expect(() => requireInternalCaller({ subject: { id: 'v1', type: 'VM' } })).not.toThrow();
    expect(() => requireInternalCaller({ subject: { id: 'alice', type: 'USER' } })).toThrow(
      PermissionDenied,
    );
    expect(() => requireInternalCaller({})).toThrow(PermissionDenied);
  });
});
