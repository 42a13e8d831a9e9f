import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { SchedulerConfig } from './config.ts';

export interface SchedulerDeps {
  log: Logger;
}

export interface RunningScheduler {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the scheduler service: Runs tasks: gets a VM from the allocator (warm first), sends the task to its worker, watches it.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startScheduler(
  config: SchedulerConfig,
  deps: SchedulerDeps,
): Promise<RunningScheduler> {
  const server = await startGrpcServer({
    name: 'scheduler',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
