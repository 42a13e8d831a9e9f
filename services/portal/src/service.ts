import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { PortalConfig } from './config.ts';

export interface PortalDeps {
  log: Logger;
}

export interface RunningPortal {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the portal service: One per execution: persists slot data to S3, serves stored data, aggregates std streams.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startPortal(config: PortalConfig, deps: PortalDeps): Promise<RunningPortal> {
  const server = await startGrpcServer({
    name: 'portal',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
