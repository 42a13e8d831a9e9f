import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { LzyServiceConfig } from './config.ts';

export interface LzyServiceDeps {
  log: Logger;
}

export interface RunningLzyService {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the lzy-service service: The public entrypoint (LzyWorkflowService + LongRunningService): workflow lifetime, graphs, std streams, storage credentials, pools.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startLzyService(
  config: LzyServiceConfig,
  deps: LzyServiceDeps,
): Promise<RunningLzyService> {
  const server = await startGrpcServer({
    name: 'lzy-service',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
