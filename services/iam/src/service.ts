import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { IamConfig } from './config.ts';

export interface IamDeps {
  log: Logger;
}

export interface RunningIam {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the iam service: Subjects, credentials (public keys), roles and access bindings; verifies JWTs for every other service.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startIam(config: IamConfig, deps: IamDeps): Promise<RunningIam> {
  const server = await startGrpcServer({
    name: 'iam',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
