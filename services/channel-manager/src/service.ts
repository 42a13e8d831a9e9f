import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { ChannelManagerConfig } from './config.ts';

export interface ChannelManagerDeps {
  log: Logger;
}

export interface RunningChannelManager {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the channel-manager service: Channels from a producer slot to its consumers: bind, unbind, destroy.
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startChannelManager(
  config: ChannelManagerConfig,
  deps: ChannelManagerDeps,
): Promise<RunningChannelManager> {
  const server = await startGrpcServer({
    name: 'channel-manager',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
