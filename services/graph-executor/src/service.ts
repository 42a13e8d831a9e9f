import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { GraphExecutorConfig } from './config.ts';

export interface GraphExecutorDeps {
  log: Logger;
}

export interface RunningGraphExecutor {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the graph-executor service: Validates graphs of tasks and releases each task to the scheduler when its inputs are ready.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startGraphExecutor(
  config: GraphExecutorConfig,
  deps: GraphExecutorDeps,
): Promise<RunningGraphExecutor> {
  const server = await startGrpcServer({
    name: 'graph-executor',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
