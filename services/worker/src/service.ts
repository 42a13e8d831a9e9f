import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { WorkerConfig } from './config.ts';

export interface WorkerDeps {
  log: Logger;
}

export interface RunningWorker {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the worker service: Runs on an allocated VM: prepares the environment, binds slots, runs the op, streams std out/err.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startWorker(config: WorkerConfig, deps: WorkerDeps): Promise<RunningWorker> {
  const server = await startGrpcServer({
    name: 'worker',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
