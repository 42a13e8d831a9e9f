import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import { DeadlineExceeded, NotFound, PermissionDenied, Unavailable } from '@lzy/errors';
import { iamAuthService } from '@lzy/proto';
import {
  GrpcCallError,
  IamAuthenticator,
  LocalAuthenticator,
  createChannelClient,
  implement,
  startGrpcServer,
  unaryCall,
} from '@lzy/grpc';
import type { CallContext, GrpcServer } from '@lzy/grpc';
import { EchoClient, EchoService } from './echo-service.ts';
import { aborted, silentLog } from './helpers.ts';

let server: GrpcServer;
let lastCtx: CallContext | undefined;
const attempts = new Map<string, number>();

beforeAll(async () => {
  server = await startGrpcServer({
    name: 'client-test',
    port: 0,
    log: silentLog,
    services: [
      implement(
        EchoService,
        {
          echo: async (req, ctx) => {
            lastCtx = ctx;
            const attempt = (attempts.get(req.text) ?? 0) + 1;
            attempts.set(req.text, attempt);
            if (req.text.startsWith('flaky') && attempt <= 2)
              throw new Unavailable('database is restarting');
            if (req.text === 'missing') throw new NotFound('no such whiteboard');
            if (req.text === 'bug') throw new Error('boom');
            if (req.text.startsWith('slow')) await aborted(ctx.signal);
            return { text: req.text };
          },
          repeat: 'unimplemented',
          join: 'unimplemented',
          chat: 'unimplemented',
        },
        { auth: 'none' },
      ),
    ],
  });
});

afterAll(async () => {
  await server?.stop();
});

describe('createChannelClient + unaryCall', () => {
  it('retries UNAVAILABLE with backoff until the call succeeds', async () => {
    const client = createChannelClient(EchoClient, `127.0.0.1:${server.port}`, {
      retry: { maxAttempts: 4, initialBackoffMs: 10, maxBackoffMs: 50 },
    });
    try {
      await expect(unaryCall(client.echo.bind(client), { text: 'flaky-1' })).resolves.toEqual({
        text: 'flaky-1',
      });
      expect(attempts.get('flaky-1')).toBe(3);
    } finally {
      client.close();
    }
  });

  it('surfaces UNAVAILABLE as Unavailable when retries are off', async () => {
    const client = createChannelClient(EchoClient, `127.0.0.1:${server.port}`, { retry: false });
    try {
      await expect(unaryCall(client.echo.bind(client), { text: 'flaky-2' })).rejects.toThrow(
        Unavailable,
      );
      expect(attempts.get('flaky-2')).toBe(1);
    } finally {
      client.close();
    }
  });

  it('converts downstream statuses back into domain errors with their message', async () => {
    const client = createChannelClient(EchoClient, `127.0.0.1:${server.port}`);
    try {
      const missing = unaryCall(client.echo.bind(client), { text: 'missing' });
      await expect(missing).rejects.toThrow(NotFound);
      await expect(missing).rejects.toThrow('no such whiteboard');
      await expect(unaryCall(client.echo.bind(client), { text: 'bug' })).rejects.toThrow(
        GrpcCallError,
      );
    } finally {
      client.close();
    }
  });

  it('applies the default deadline and reports DeadlineExceeded', async () => {
    const client = createChannelClient(EchoClient, `127.0.0.1:${server.port}`, { deadlineMs: 200 });
    try {
      await expect(unaryCall(client.echo.bind(client), { text: 'slow' })).rejects.toThrow(
        DeadlineExceeded,
      );
    } finally {
      client.close();
    }
  });

  it('cancels the call when the given signal aborts', async () => {
    const client = createChannelClient(EchoClient, `127.0.0.1:${server.port}`);
    const controller = new AbortController();
    try {
      const call = unaryCall(
        client.echo.bind(client),
        { text: 'slow-cancel' },
        { signal: controller.signal },
      );
      await expect.poll(() => attempts.has('slow-cancel')).toBe(true);
      controller.abort();
      await expect(call).rejects.toMatchObject({ name: 'Cancelled' });
    } finally {
      client.close();
    }
  });

  it('propagates the request id and attaches bearer credentials unless the call carries its own', async () => {
    const client = createChannelClient(EchoClient, `127.0.0.1:${server.port}`, {
      callCredentials: () => Promise.resolve('service.jwt.token'),
    });
    try {
      await unaryCall(client.echo.bind(client), { text: 'creds' }, { requestId: 'rid-upstream' });
      expect(lastCtx).toMatchObject({
        requestId: 'rid-upstream',
        authorization: 'Bearer service.jwt.token',
      });
      const forwarded = new Metadata();
      forwarded.set('authorization', 'Bearer user.jwt.token');
      await unaryCall(client.echo.bind(client), { text: 'forward' }, { metadata: forwarded });
      expect(lastCtx?.authorization).toBe('Bearer user.jwt.token');
    } finally {
      client.close();
    }
  });
});

describe('IamAuthenticator', () => {
  let alice: RsaKeyPair;
  let iam: GrpcServer;
  let iamCalls = 0;
  /** Alice's key is removed from the stand-in IAM (revocation). */
  let aliceRevoked = false;

  beforeAll(async () => {
    alice = await generateRsaKeyPair();
    // A stand-in IAM: the real bootstrap + LocalAuthenticator, answering with ctx.subject.
    iam = await startGrpcServer({
      name: 'fake-iam',
      port: 0,
      log: silentLog,
      authenticator: new LocalAuthenticator({
        clock: { now: () => Date.now() },
        findPublicKeys: (login) =>
          Promise.resolve(
            login === 'alice' && !aliceRevoked
              ? { subject: { id: 'u-alice', type: 'USER' }, publicKeyPems: [alice.publicKeyPem] }
              : undefined,
          ),
      }),
      services: [
        implement(iamAuthService.LzyAuthenticateServiceService, {
          authenticate: (_req, ctx) => {
            iamCalls += 1;
            return Promise.resolve({ id: ctx.subject?.id ?? '', type: ctx.subject?.type ?? '' });
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await iam?.stop();
  });

  function authenticator(address: string, nowMs: () => number) {
    const client = createChannelClient(iamAuthService.LzyAuthenticateServiceClient, address, {
      retry: false,
    });
    return {
      client,
      authenticator: new IamAuthenticator({ client, clock: { now: nowMs }, cacheTtlMs: 10_000 }),
    };
  }

  it('answers with the subject IAM returns and caches it for the TTL', async () => {
    let now = Date.now();
    const { client, authenticator: auth } = authenticator(`127.0.0.1:${iam.port}`, () => now);
    const header = `Bearer ${signLzyJwt({ issuer: 'alice', provider: 'GITHUB', privateKeyPem: alice.privateKeyPem, nowMs: Date.now() })}`;
    try {
      const before = iamCalls;
      await expect(auth.authenticate(header, { requestId: 'r1', log: silentLog })).resolves.toEqual(
        { id: 'u-alice', type: 'USER' },
      );
      await auth.authenticate(header, { requestId: 'r2', log: silentLog });
      expect(iamCalls - before).toBe(1);
      now += 10_001;
      await auth.authenticate(header, { requestId: 'r3', log: silentLog });
      expect(iamCalls - before).toBe(2);
    } finally {
      client.close();
    }
  });

  it('asks IAM once for a burst of concurrent calls with a new token', async () => {
    const { client, authenticator: auth } = authenticator(`127.0.0.1:${iam.port}`, () =>
      Date.now(),
    );
    const header = `Bearer ${signLzyJwt({ issuer: 'alice', provider: 'GITHUB', privateKeyPem: alice.privateKeyPem, nowMs: Date.now() })}`;
    try {
      const before = iamCalls;
      const subjects = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          auth.authenticate(header, { requestId: `r${i}`, log: silentLog }),
        ),
      );
      expect(subjects.every((s) => s.id === 'u-alice')).toBe(true);
      expect(iamCalls - before).toBe(1);
    } finally {
      client.close();
    }
  });

  it('never shares a call for one-time tokens (IAM consumes them on use)', async () => {
    const { client, authenticator: auth } = authenticator(`127.0.0.1:${iam.port}`, () =>
      Date.now(),
    );
    const ott = `Bearer ${Buffer.from('vm-1/0b7c').toString('base64')}`;
    try {
      const before = iamCalls;
      const answers = await Promise.allSettled(
        [1, 2, 3].map((i) => auth.authenticate(ott, { requestId: `o${i}`, log: silentLog })),
      );
      // The stand-in IAM refuses them at its own authentication: three calls reached it.
      expect(answers.every((a) => a.status === 'rejected')).toBe(true);
      expect(iamCalls - before).toBe(0);
      const reasons = answers.map((a): unknown => (a as PromiseRejectedResult).reason as unknown);
      expect(new Set(reasons).size).toBe(3);
    } finally {
      client.close();
    }
  });

  it('past half its TTL answers from the cache and asks IAM again behind it; a revoked key is refused then', async () => {
    let now = Date.now();
    const { client, authenticator: auth } = authenticator(`127.0.0.1:${iam.port}`, () => now);
    const header = `Bearer ${signLzyJwt({ issuer: 'alice', provider: 'GITHUB', privateKeyPem: alice.privateKeyPem, nowMs: Date.now() })}`;
    try {
      const before = iamCalls;
      await auth.authenticate(header, { requestId: 'a', log: silentLog });
      now += 6_000;
      aliceRevoked = true;
      // Still inside the TTL: answered at once from the cache while IAM is asked again.
      await expect(auth.authenticate(header, { requestId: 'b', log: silentLog })).resolves.toEqual({
        id: 'u-alice',
        type: 'USER',
      });
      await vi.waitFor(async () => {
        await expect(auth.authenticate(header, { requestId: 'c', log: silentLog })).rejects.toThrow(
          PermissionDenied,
        );
      });
      expect(iamCalls - before).toBe(1); // the refused refresh never reached the handler
    } finally {
      aliceRevoked = false;
      client.close();
    }
  });

  it("passes IAM's PERMISSION_DENIED through", async () => {
    const { client, authenticator: auth } = authenticator(`127.0.0.1:${iam.port}`, () =>
      Date.now(),
    );
    const other = await generateRsaKeyPair();
    const header = `Bearer ${signLzyJwt({ issuer: 'alice', provider: 'GITHUB', privateKeyPem: other.privateKeyPem, nowMs: Date.now() })}`;
    try {
      await expect(auth.authenticate(header, { requestId: 'r', log: silentLog })).rejects.toThrow(
        PermissionDenied,
      );
    } finally {
      client.close();
    }
  });

  it('answers Unavailable when IAM cannot be reached', async () => {
    const down = await startGrpcServer({ name: 'gone', port: 0, log: silentLog, services: [] });
    const address = `127.0.0.1:${down.port}`;
    await down.stop();
    const { client, authenticator: auth } = authenticator(address, () => Date.now());
    try {
      await expect(
        auth.authenticate('Bearer a.b.c', { requestId: 'r', log: silentLog }),
      ).rejects.toThrow(Unavailable);
    } finally {
      client.close();
    }
  });

  it('serves a service whose calls are authenticated through IAM', async () => {
    const service = await startGrpcServer({
      name: 'behind-iam',
      port: 0,
      log: silentLog,
      authenticator: authenticator(`127.0.0.1:${iam.port}`, () => Date.now()).authenticator,
      services: [
        implement(EchoService, {
          echo: (req, ctx) => Promise.resolve({ text: `${ctx.subject?.id ?? '?'}:${req.text}` }),
          repeat: 'unimplemented',
          join: 'unimplemented',
          chat: 'unimplemented',
        }),
      ],
    });
    const client = createChannelClient(EchoClient, `127.0.0.1:${service.port}`, {
      callCredentials: () =>
        Promise.resolve(
          signLzyJwt({
            issuer: 'alice',
            provider: 'GITHUB',
            privateKeyPem: alice.privateKeyPem,
            nowMs: Date.now(),
          }),
        ),
    });
    try {
      await expect(unaryCall(client.echo.bind(client), { text: 'hi' })).resolves.toEqual({
        text: 'u-alice:hi',
      });
    } finally {
      client.close();
      await service.stop();
    }
  });
});
