import { credentials, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { health } from '@lzy/proto';
import { implement, serverStream, startGrpcServer, unaryCall } from '@lzy/grpc';
import type { GrpcServer, GrpcServerOptions } from '@lzy/grpc';
import { EchoService, rawEchoClient } from './echo-service.ts';
import { aborted, gate, rawEcho, silentLog } from './helpers.ts';

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;

/** An Echo server whose `echo` waits for `hold` when asked to, for drain tests. */
async function startEcho(
  hold: Promise<void>,
  options: Partial<GrpcServerOptions> = {},
): Promise<GrpcServer> {
  return startGrpcServer({
    name: 'lifecycle-test',
    port: 0,
    log: silentLog,
    services: [
      implement(
        EchoService,
        {
          echo: async (req, ctx) => {
            if (req.text === 'hold') await hold;
            if (req.text === 'hold-until-cancelled') await aborted(ctx.signal);
            return { text: req.text };
          },
          repeat: 'unimplemented',
          join: 'unimplemented',
          chat: 'unimplemented',
        },
        { auth: 'none' },
      ),
    ],
    ...options,
  });
}

function healthClient(port: number): health.HealthClient {
  return new health.HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
}

async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('health', () => {
  it('answers SERVING for the server and each registered service, NOT_FOUND for others', async () => {
    const server = await startEcho(Promise.resolve());
    const client = healthClient(server.port);
    try {
      const check = (service: string) => unaryCall(client.check.bind(client), { service });
      await expect(check('')).resolves.toEqual({ status: SERVING });
      await expect(check('lzy.test.Echo')).resolves.toEqual({ status: SERVING });
      await expect(check('lzy.test.Nope')).rejects.toMatchObject({ name: 'NotFound' });
      server.health.setStatus('lzy.test.Echo', 'NOT_SERVING');
      await expect(check('lzy.test.Echo')).resolves.toEqual({ status: NOT_SERVING });
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('tells watchers NOT_SERVING when stop begins, then ends their stream', async () => {
    const server = await startEcho(Promise.resolve());
    const client = healthClient(server.port);
    try {
      const statuses: number[] = [];
      const watching = (async () => {
        for await (const reply of serverStream(client.watch.bind(client), { service: '' })) {
          statuses.push(reply.status);
          if (statuses.length === 1) void server.stop();
        }
      })();
      await watching;
      expect(statuses).toEqual([SERVING, NOT_SERVING]);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('graceful stop', () => {
  it('waits for an in-flight call to finish, and that call succeeds', async () => {
    const held = gate();
    const server = await startEcho(held.promise, { shutdownGraceMs: 30_000 });
    const client = rawEchoClient(server.port);
    try {
      const call = rawEcho(client, { text: 'hold' });
      await expect
        .poll(() => server.metricsRegistry.getSingleMetricAsString('lzy_grpc_server_in_flight'))
        .toMatch(/} 1$/m);
      let stopped = false;
      const stopping = server.stop().then(() => (stopped = true));
      await expect(rawEcho(client, { text: 'new' })).resolves.toMatchObject({
        error: { code: status.UNAVAILABLE },
      });
      expect(stopped).toBe(false);
      held.release();
      await expect(call).resolves.toMatchObject({ error: null, response: { text: 'hold' } });
      await stopping;
      expect(stopped).toBe(true);
    } finally {
      held.release();
      client.close();
      await server.stop();
    }
  });

  it('cancels calls still running after the grace period and still resolves', async () => {
    const server = await startEcho(Promise.resolve(), { shutdownGraceMs: 200 });
    const client = rawEchoClient(server.port);
    try {
      const call = rawEcho(client, { text: 'hold-until-cancelled' });
      await expect
        .poll(() => server.metricsRegistry.getSingleMetricAsString('lzy_grpc_server_in_flight'))
        .toMatch(/} 1$/m);
      await server.stop();
      const { error } = await call;
      expect([status.CANCELLED, status.UNAVAILABLE, status.INTERNAL]).toContain(error?.code);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('metrics endpoint', () => {
  it('exposes the per-RPC counter after a call and /healthz while serving', async () => {
    const server = await startEcho(Promise.resolve(), { metricsPort: 0 });
    const client = rawEchoClient(server.port);
    try {
      await rawEcho(client, { text: 'hello' });
      const metricsPort = server.metricsPort ?? 0;
      const metrics = await httpGet(metricsPort, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain(
        'lzy_grpc_server_handled_total{service="lzy.test.Echo",method="Echo",code="OK"} 1',
      );
      expect(metrics.body).toContain(
        'lzy_grpc_server_handling_seconds_count{service="lzy.test.Echo",method="Echo"} 1',
      );
      await expect(httpGet(metricsPort, '/healthz')).resolves.toMatchObject({ status: 200 });
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('reports /healthz 503 once stop has begun', async () => {
    const held = gate();
    const server = await startEcho(held.promise, { metricsPort: 0 });
    const client = rawEchoClient(server.port);
    try {
      const call = rawEcho(client, { text: 'hold' });
      await expect
        .poll(() => server.metricsRegistry.getSingleMetricAsString('lzy_grpc_server_in_flight'))
        .toMatch(/} 1$/m);
      const stopping = server.stop();
      await expect(httpGet(server.metricsPort ?? 0, '/healthz')).resolves.toMatchObject({
        status: 503,
      });
      held.release();
      await call;
      await stopping;
    } finally {
      held.release();
      client.close();
      await server.stop();
    }
  });
});

describe('start', () => {
  it('refuses services that need auth when no authenticator is given', async () => {
    await expect(
      startGrpcServer({
        name: 'no-auth',
        port: 0,
        log: silentLog,
        services: [
          implement(EchoService, {
            echo: 'unimplemented',
            repeat: 'unimplemented',
            join: 'unimplemented',
            chat: 'unimplemented',
          }),
        ],
      }),
    ).rejects.toThrow(/no authenticator/);
  });
});
