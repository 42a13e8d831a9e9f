import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { Logger } from '@lzy/logging';
import { adaptService, serviceNameOf, tolerantDefinition } from './adapt-service.ts';
import type { Authenticator } from './authenticator.ts';
import type { CallRunnerDeps } from './call-runner.ts';
import type { ServiceRegistration } from './handler-types.ts';
import { authModeOf } from './handler-types.ts';
import { HealthState, healthService } from './health-service.ts';
import type { HealthControl } from './health-service.ts';
import { InFlight } from './in-flight.ts';
import { startMetricsServer } from './metrics-server.ts';
import type { MetricsServer } from './metrics-server.ts';
import { ServerMetrics } from './server-metrics.ts';
import { serverOptions } from './server-options.ts';
import { ensureContextPropagation } from './trace-context.ts';

export interface GrpcServerOptions {
  /** Service name for logs (`iam`, `lzy-service`). */
  name: string;
  /** Interface to bind; default 127.0.0.1. Deployments pass 0.0.0.0 (or `[::]`). */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  log: Logger;
  services: ServiceRegistration[];
  /** Required if any method has auth 'required'. */
  authenticator?: Authenticator;
  /** Port of the /metrics + /healthz HTTP server; undefined = no such server, 0 = a free port. */
  metricsPort?: number;
  /** Registry for the per-RPC metrics; pass one to add the service's own. Default: a new one. */
  metricsRegistry?: Registry;
  /** Default 64 MiB (public-api.md §5). */
  maxReceiveMessageBytes?: number;
  /** How long stop() lets in-flight calls finish before cancelling them. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface GrpcServer {
  port: number;
  metricsPort?: number;
  health: HealthControl;
  metricsRegistry: Registry;
  /** Idempotent: NOT_SERVING, drain up to shutdownGraceMs, cancel the rest, close metrics. */
  stop(): Promise<void>;
}

function requiresAuth(registration: ServiceRegistration): boolean {
  return Object.keys(registration.definition).some(
    (key) => authModeOf(registration.auth, key) === 'required',
  );
}

function markServing(health: HealthState, services: ServiceRegistration[]): void {
  health.setStatus('', 'SERVING');
  for (const registration of services) {
    const serviceName = serviceNameOf(registration);
    if (serviceName !== undefined) health.setStatus(serviceName, 'SERVING');
  }
}

/**
 * NOT_SERVING, then grpc-js tryShutdown (GOAWAY, no new calls, in-flight ones finish) for up to
 * `shutdownGraceMs`; after that forceShutdown cancels what is left (handlers see ctx.signal abort)
 * and we wait a little for them to unwind before the caller closes their dependencies.
 */
async function drain(
  server: Server,
  deps: { health: HealthState; inFlight: InFlight; shutdownGraceMs: number; log: Logger },
): Promise<void> {
  const { health, inFlight, shutdownGraceMs, log } = deps;
  health.shutdown();
  const drained = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), shutdownGraceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (drained) return;
  log.warn(
    { inFlight: inFlight.count, shutdownGraceMs },
    'calls still running after the grace period; cancelling them',
  );
  server.forceShutdown();
  if (!(await inFlight.whenIdle(Math.min(shutdownGraceMs, 5_000)))) {
    log.warn({ inFlight: inFlight.count }, 'handlers ignored cancellation; stopping anyway');
  }
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(new Error(`cannot listen on ${address}: ${err.message}`, { cause: err }));
      else resolve(port);
    });
  });
}

/**
 * Starts a plaintext gRPC server (h2c: pylzy cannot do TLS) serving `services` and
 * grpc.health.v1, every handler wrapped by the bootstrap (call-runner.ts). Health is SERVING for ''
 * and each service once listening.
 * @throws Error if a service needs auth and no authenticator is given, or a port cannot be bound
 *   (nothing is left running then).
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const {
    name,
    host = '127.0.0.1',
    port,
    authenticator,
    metricsPort,
    shutdownGraceMs = 10_000,
  } = options;
  const log = options.log.child({ component: 'grpc-server' });
  if (authenticator === undefined && options.services.some(requiresAuth)) {
    throw new Error(`${name}: services require authentication but no authenticator was given`);
  }
  const metricsRegistry = options.metricsRegistry ?? new Registry();
  const health = new HealthState();
  const inFlight = new InFlight();
  ensureContextPropagation();
  const deps: CallRunnerDeps = {
    serverName: name,
    log: options.log,
    metrics: new ServerMetrics(metricsRegistry),
    inFlight,
    authenticator,
  };

  const server = new Server(serverOptions(options.maxReceiveMessageBytes ?? 64 * 1024 * 1024));
  for (const registration of [...options.services, healthService(health)]) {
    server.addService(
      tolerantDefinition(registration.definition),
      adaptService(registration, deps),
    );
  }

  const boundPort = await bind(server, `${host}:${port}`);
  let metrics: MetricsServer | undefined;
  if (metricsPort !== undefined) {
    try {
      metrics = await startMetricsServer({
        host,
        port: metricsPort,
        registry: metricsRegistry,
        isServing: () => health.isServing(),
        log,
      });
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
  }
  markServing(health, options.services);
  log.info({ port: boundPort, metricsPort: metrics?.port }, 'grpc server listening');

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await drain(server, { health, inFlight, shutdownGraceMs, log });
    await metrics?.close();
    log.info('grpc server stopped');
  };
  return {
    port: boundPort,
    ...(metrics === undefined ? {} : { metricsPort: metrics.port }),
    health,
    metricsRegistry,
    stop: () => (stopping ??= stop()),
  };
}
