import { describe, expect, it } from 'vitest';
import { PermissionDenied, Unauthenticated, Unavailable } from '@lzy/errors';
import { CallAuthenticator } from './call-authenticator.ts';
import type { CredentialSource } from './call-authenticator.ts';
import type { SubjectRecord } from './subject.ts';
import { hashOneTimeToken } from './subject.ts';

const NOW = 1_700_000_000_000;
const vm: SubjectRecord = {
  id: 's-1',
  type: 'VM',
  authProvider: 'INTERNAL',
  providerSubjectId: 'vm-1',
};

/** In-memory credential source holding one-time tokens by hash. */
function source(
  tokens: Map<string, { subject: SubjectRecord; expiredAt: Date }>,
): CredentialSource {
  return {
    findPublicKeys: () => Promise.resolve(undefined),
    consumeOneTimeToken: (hash) => {
      const found = tokens.get(hash);
      tokens.delete(hash);
      return Promise.resolve(found && { ...found, accessType: 'ACCESS_ALLOWED' });
    },
  };
}

function authenticatorWith(
  tokens: Map<string, { subject: SubjectRecord; expiredAt: Date }>,
  isReady = true,
) {
  return new CallAuthenticator({
    credentials: source(tokens),
    clock: { now: () => NOW },
    isReady: () => isReady,
  });
}

const token = (text: string) => Buffer.from(text).toString('base64');

describe('CallAuthenticator', () => {
  it('accepts a one-time token once', async () => {
    const ott = token('vm-1/0b6e');
    const tokens = new Map([
      [hashOneTimeToken(ott), { subject: vm, expiredAt: new Date(NOW + 1) }],
    ]);
    const authenticator = authenticatorWith(tokens);
    expect(await authenticator.authenticate(`Bearer ${ott}`)).toEqual({ id: 's-1', type: 'VM' });
    await expect(authenticator.authenticate(`Bearer ${ott}`)).rejects.toBeInstanceOf(
      PermissionDenied,
    );
  });

  it('refuses a one-time token presented for another login or after its expiry', async () => {
    const stolen = token('vm-2/0b6e');
    const expired = token('vm-1/old');
    const authenticator = authenticatorWith(
      new Map([
        [hashOneTimeToken(stolen), { subject: vm, expiredAt: new Date(NOW + 1) }],
        [hashOneTimeToken(expired), { subject: vm, expiredAt: new Date(NOW) }],
      ]),
    );
    await expect(authenticator.authenticate(`Bearer ${stolen}`)).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    await expect(authenticator.authenticate(`Bearer ${expired}`)).rejects.toBeInstanceOf(
      PermissionDenied,
    );
  });

  it('refuses a one-time token that is not `<login>/<uuid>` as UNAUTHENTICATED', async () => {
    await expect(
      authenticatorWith(new Map()).authenticate(`Bearer ${token('nologin')}`),
    ).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('answers UNAVAILABLE until the database is ready', async () => {
    await expect(
      authenticatorWith(new Map(), false).authenticate(`Bearer ${token('vm-1/x')}`),
    ).rejects.toBeInstanceOf(Unavailable);
  });
});
