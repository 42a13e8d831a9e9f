import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import { LocalAuthenticator, implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import { EchoService, rawEchoClient } from './echo-service.ts';
import type { EchoClient } from './echo-service.ts';
import { rawEcho, silentLog } from './helpers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let alice: RsaKeyPair;
let mallory: RsaKeyPair;
let server: GrpcServer;
let client: EchoClient;

function token(keys: RsaKeyPair, options: { issuer?: string; nowMs?: number } = {}): string {
  return signLzyJwt({
    issuer: options.issuer ?? 'alice',
    provider: 'GITHUB',
    privateKeyPem: keys.privateKeyPem,
    nowMs: options.nowMs ?? Date.now(),
  });
}

beforeAll(async () => {
  [alice, mallory] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  const authenticator = new LocalAuthenticator({
    clock: { now: () => Date.now() },
    findPublicKeys: (login, provider) =>
      Promise.resolve(
        login === 'alice' && provider === 'GITHUB'
          ? { subject: { id: 'u-alice', type: 'USER' }, publicKeyPems: [alice.publicKeyPem] }
          : undefined,
      ),
  });
  server = await startGrpcServer({
    name: 'auth-test',
    port: 0,
    log: silentLog,
    authenticator,
    services: [
      implement(
        EchoService,
        {
          echo: (req, ctx) =>
            Promise.resolve({ text: `${ctx.subject?.id ?? 'anonymous'}:${req.text}` }),
          repeat: (req, ctx, send) =>
            send({ text: `${ctx.subject?.id ?? 'anonymous'}:${req.text}` }),
          join: 'unimplemented',
          chat: 'unimplemented',
        },
        { auth: { repeat: 'none' } },
      ),
    ],
  });
  client = rawEchoClient(server.port);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

describe('authentication in the server bootstrap', () => {
  it('rejects a call without authorization as UNAUTHENTICATED "Authorization header is missing"', async () => {
    const { error } = await rawEcho(client, { text: 'hi' });
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toBe('Authorization header is missing');
  });

  it.each([['Basic YWxpY2U6cHc='], [`bearer ${'a.b.c'}`], ['Bearer not a token'], ['Bearer a.b']])(
    'rejects %s as UNAUTHENTICATED asking for the Bearer scheme',
    async (authorization) => {
      const { error } = await rawEcho(client, { text: 'hi' }, { authorization });
      expect(error?.code).toBe(status.UNAUTHENTICATED);
      expect(error?.details).toMatch(/Bearer/);
    },
  );

  it('rejects an expired token as PERMISSION_DENIED with an empty description', async () => {
    const expired = token(alice, { nowMs: Date.now() - 8 * DAY_MS });
    const { error } = await rawEcho(client, { text: 'hi' }, { authorization: `Bearer ${expired}` });
    expect(error?.code).toBe(status.PERMISSION_DENIED);
    expect(error?.details).toBe('');
  });

  it('rejects a token signed with another key as PERMISSION_DENIED', async () => {
    const { error } = await rawEcho(
      client,
      { text: 'hi' },
      { authorization: `Bearer ${token(mallory)}` },
    );
    expect(error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('rejects a token of an unknown user as PERMISSION_DENIED', async () => {
    const { error } = await rawEcho(
      client,
      { text: 'hi' },
      { authorization: `Bearer ${token(mallory, { issuer: 'mallory' })}` },
    );
    expect(error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('rejects a bearer value that is not a JWT as UNAUTHENTICATED "Invalid JWT"', async () => {
    const { error } = await rawEcho(
      client,
      { text: 'hi' },
      { authorization: 'Bearer YWxpY2UvMTIz' },
    );
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toBe('Invalid JWT');
  });

  it('lets a valid token through with ctx.subject set', async () => {
    const { error, response } = await rawEcho(
      client,
      { text: 'hi' },
      { authorization: `Bearer ${token(alice)}` },
    );
    expect(error).toBeNull();
    expect(response).toEqual({ text: 'u-alice:hi' });
  });

  it('serves a method registered with auth none without a token', async () => {
    const replies: unknown[] = [];
    for await (const reply of client.repeat({ text: 'open' })) replies.push(reply);
    expect(replies).toEqual([{ text: 'anonymous:open' }]);
  });
});
