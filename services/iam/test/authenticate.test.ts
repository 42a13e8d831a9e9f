import type { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsaKeyPair } from '@lzy/auth';
import { signLzyJwt } from '@lzy/auth';
import { PermissionDenied, Unauthenticated } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import type { iam } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import type { RunningIam } from '../src/index.ts';
import type { IamClients } from './fixtures.ts';
import {
  bearer,
  createUser,
  iamClients,
  iamTemplate,
  internalToken,
  pkcs1KeyPair,
  startTestIam,
  userToken,
} from './fixtures.ts';

const pg = usePostgres({ template: iamTemplate });
let internal: RsaKeyPair;
let alice: RsaKeyPair;
let mallory: RsaKeyPair;
let service: RunningIam;
let clients: IamClients;
let aliceSubject: iam.Subject;

beforeAll(async () => {
  [internal, alice, mallory] = await Promise.all([pkcs1KeyPair(), pkcs1KeyPair(), pkcs1KeyPair()]);
  service = await startTestIam(pg.url, internal);
  clients = iamClients(service.port);
  aliceSubject = await createUser(clients, internal, 'alice', alice);
});

afterAll(async () => {
  clients?.close();
  await service?.stop();
});

function authenticate(params: { metadata?: Metadata } = {}) {
  return unaryCall(clients.auth.authenticate.bind(clients.auth), {}, params);
}

describe('Authenticate', () => {
  it('authenticates a pylzy-shaped token (PKCS#1 key, float iat, pvd GITHUB) to its subject', async () => {
    const token = userToken('alice', alice);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      iat: number;
      pvd: string;
    };
    expect(Number.isInteger(claims.iat)).toBe(false);
    expect(claims.pvd).toBe('GITHUB');
    expect(alice.privateKeyPem).toContain('BEGIN RSA PRIVATE KEY');

    const subject = await authenticate(bearer(token));
    expect(subject).toEqual({ id: aliceSubject.id, type: 'USER' });
    expect(aliceSubject.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('authenticates the internal identity as lzy-internal', async () => {
    expect(await authenticate(bearer(internalToken(internal)))).toEqual({
      id: 'lzy-internal',
      type: 'USER',
    });
  });

  it('rejects a call without authorization as UNAUTHENTICATED "Authorization header is missing"', async () => {
    const err = await authenticate().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unauthenticated);
    expect((err as Error).message).toBe('Authorization header is missing');
  });

  it('rejects a JWT without iss/pvd as UNAUTHENTICATED "Invalid JWT"', async () => {
    const noClaims = `${Buffer.from('{"alg":"PS256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;
    const err = await authenticate(bearer(noClaims)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unauthenticated);
    expect((err as Error).message).toBe('Invalid JWT');
  });

  it.each([
    ['an unknown user', () => userToken('bob', alice)],
    ['a token signed with another key', () => userToken('alice', mallory)],
    ['an expired token', () => userToken('alice', alice, Date.now() - 8 * 24 * 3_600_000)],
    [
      'a token of the right login under another provider',
      () =>
        signLzyJwt({
          issuer: 'alice',
          provider: 'INTERNAL',
          privateKeyPem: alice.privateKeyPem,
          nowMs: Date.now(),
        }),
    ],
  ])('answers PERMISSION_DENIED with no description for %s', async (_what, token) => {
    const err = await authenticate(bearer(token())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDenied);
    expect((err as Error).message).toBe('');
  });

  it('narrows the keys to the one named by the kn header', async () => {
    const named = (keyName: string) =>
      signLzyJwt({
        issuer: 'alice',
        provider: 'GITHUB',
        privateKeyPem: alice.privateKeyPem,
        nowMs: Date.now(),
        keyName,
      });
    expect((await authenticate(bearer(named('main')))).id).toBe(aliceSubject.id);
    await expect(authenticate(bearer(named('other')))).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('stops accepting a key once its credentials are removed', async () => {
    const dave = await pkcs1KeyPair();
    const daveSubject = await createUser(clients, internal, 'dave', dave);
    expect((await authenticate(bearer(userToken('dave', dave)))).id).toBe(daveSubject.id);
    await unaryCall(
      clients.subjects.removeCredentials.bind(clients.subjects),
      { subject: daveSubject, credentialsName: 'main' },
      bearer(internalToken(internal)),
    );
    await expect(authenticate(bearer(userToken('dave', dave)))).rejects.toBeInstanceOf(
      PermissionDenied,
    );
  });
});
