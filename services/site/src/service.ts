import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { SiteConfig } from './config.ts';
import { startSiteHttpServer } from './http-server.ts';

export interface SiteDeps {
  log: Logger;
}

export interface RunningSite {
  port: number;
  metricsPort?: number;
  /** Port of the web pages. */
  httpPort: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the site service: Web backoffice: sign-in, public keys, workflows, graphs and whiteboards of a user.
 * Until its own issue lands it serves the gRPC health check and a placeholder page over HTTP.
 * @throws if a port cannot be bound (nothing is left running then)
 */
export async function startSite(config: SiteConfig, deps: SiteDeps): Promise<RunningSite> {
  const server = await startGrpcServer({
    name: 'site',
    ...config.server,
    log: deps.log,
    services: [],
  });
  let http;
  try {
    http = await startSiteHttpServer({
      host: config.server.host,
      port: config.httpPort,
      readmeUrl: config.readmeUrl,
      log: deps.log,
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  const web = http;
  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    httpPort: web.port,
    stop: () => (stopping ??= Promise.all([server.stop(), web.close()]).then(() => undefined)),
  };
}
