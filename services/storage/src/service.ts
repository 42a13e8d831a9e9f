import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { StorageConfig } from './config.ts';

export interface StorageDeps {
  log: Logger;
}

export interface RunningStorage {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the storage service: Per-user buckets and credentials on the configured S3 endpoint.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startStorage(
  config: StorageConfig,
  deps: StorageDeps,
): Promise<RunningStorage> {
  const server = await startGrpcServer({
    name: 'storage',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
