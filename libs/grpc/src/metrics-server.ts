import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '@lzy/logging';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text from `registry`) and `GET /healthz` (200 while
 * `isServing()`, else 503) on host:port; port 0 picks a free one.
 */
export async function startMetricsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  isServing: () => boolean;
  log: Logger;
}): Promise<MetricsServer> {
  const { host, port, registry, isServing, log } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
    } else if (req.method === 'GET' && path === '/healthz') {
      const serving = isServing();
      res
        .writeHead(serving ? 200 : 503, { 'content-type': 'text/plain' })
        .end(serving ? 'SERVING\n' : 'NOT_SERVING\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
