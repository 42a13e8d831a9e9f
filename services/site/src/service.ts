import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { SiteConfig } from './config.ts';

export interface SiteDeps {
  log: Logger;
}

export interface RunningSite {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the site service: Web backoffice: sign-in, public keys, workflows, graphs and whiteboards of a user.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startSite(config: SiteConfig, deps: SiteDeps): Promise<RunningSite> {
  const server = await startGrpcServer({
    name: 'site',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
