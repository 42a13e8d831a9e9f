import { startGrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { WhiteboardConfig } from './config.ts';

export interface WhiteboardDeps {
  log: Logger;
}

export interface RunningWhiteboard {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the whiteboard service: Whiteboards: register, update, get, list by name, tags and time (LzyWhiteboardService).
 * Until its own issue lands it serves only the gRPC health check.
 */
export async function startWhiteboard(
  config: WhiteboardConfig,
  deps: WhiteboardDeps,
): Promise<RunningWhiteboard> {
  const server = await startGrpcServer({
    name: 'whiteboard',
    ...config.server,
    log: deps.log,
    services: [],
  });
  return { port: server.port, metricsPort: server.metricsPort, stop: () => server.stop() };
}
