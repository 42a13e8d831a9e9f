import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { decodeLzyJwtUnverified, generateRsaKeyPair, verifyLzyJwt } from '@lzy/auth';
import {
  INTERNAL_SUBJECT_ID,
  internalCallCredentials,
  requireServiceCaller,
  requireServiceOrVmCaller,
  requireServiceOrVmOf,
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

describe('requireServiceCaller', () => {
  it('lets only the internal identity through and refuses VMs and users, naming VMs', () => {
    expect(() =>
      requireServiceCaller({ subject: { id: INTERNAL_SUBJECT_ID, type: 'USER' } }),
    ).not.toThrow();
    for (const type of ['VM', 'WORKER'])
      expect(() => requireServiceCaller({ subject: { id: 'v1', type } })).toThrow(
        /LZY services only: VMs/,
      );
    expect(() => requireServiceCaller({ subject: { id: 'alice', type: 'USER' } })).toThrow(
      PermissionDenied,
    );
    expect(() => requireServiceCaller({})).toThrow(PermissionDenied);
  });
});

describe('requireServiceOrVmCaller', () => {
  it('tells the internal identity from a VM and refuses users', () => {
    expect(
      requireServiceOrVmCaller({ subject: { id: INTERNAL_SUBJECT_ID, type: 'USER' } }),
    ).toEqual({ kind: 'service' });
    expect(
      requireServiceOrVmCaller({ subject: { id: 'v1', type: 'VM', ownerUserId: 'bob' } }),
    ).toEqual({ kind: 'vm', subjectId: 'v1', ownerUserId: 'bob' });
    expect(() => requireServiceOrVmCaller({ subject: { id: 'alice', type: 'USER' } })).toThrow(
      PermissionDenied,
    );
    expect(() => requireServiceOrVmCaller({})).toThrow(PermissionDenied);
  });
});

describe('requireServiceOrVmOf', () => {
  const internal = { subject: { id: INTERNAL_SUBJECT_ID, type: 'USER' } };
  const bobVm = { subject: { id: 'v1', type: 'VM', ownerUserId: 'bob' } };

  it("lets the services and a VM of the resource's user through", () => {
    expect(() => requireServiceOrVmOf(internal, 'alice', 'channel c')).not.toThrow();
    expect(() => requireServiceOrVmOf(internal, undefined, 'channel c')).not.toThrow();
    expect(() => requireServiceOrVmOf(bobVm, 'bob', 'channel c')).not.toThrow();
  });

  it('refuses a VM of another user, of no recorded user, or on a resource of no known user', () => {
    expect(() => requireServiceOrVmOf(bobVm, 'alice', 'channel c')).toThrow(
      /channel c is not of the user VM v1 works for/,
    );
    expect(() => requireServiceOrVmOf(bobVm, undefined, 'channel c')).toThrow(PermissionDenied);
    expect(() => requireServiceOrVmOf(bobVm, '', 'channel c')).toThrow(PermissionDenied);
    expect(() =>
      requireServiceOrVmOf({ subject: { id: 'v2', type: 'VM' } }, 'bob', 'channel c'),
    ).toThrow(/works for no recorded user/);
    expect(() =>
      requireServiceOrVmOf({ subject: { id: 'bob', type: 'USER' } }, 'bob', 'channel c'),
    ).toThrow(PermissionDenied);
  });
});
