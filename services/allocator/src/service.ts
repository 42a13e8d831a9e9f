import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { AllocatorConfig } from './config.ts';

export interface AllocatorDeps {
  log: Logger;
}

export interface RunningAllocator {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the allocator service: Sessions, pools and VMs (pods or local processes): allocate, register, heartbeat, free, reuse.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startAllocator(
  config: AllocatorConfig,
  deps: AllocatorDeps,
): Promise<RunningAllocator> {
  const server = await startGrpcServer({
    name: 'allocator',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
