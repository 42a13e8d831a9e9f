import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@lzy/logging';

export interface SiteHttpServer {
  port: number;
  /** Stops accepting and closes idle connections. Idempotent. */
  close(): Promise<void>;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Placeholder until the backoffice lands (its own issue). */
function placeholderPage(readmeUrl: string | undefined): string {
  const readme =
    readmeUrl === undefined
      ? '<code>README.md</code> at the root of the LZY-TS repository'
      : `the <a href="${escapeHtml(readmeUrl)}">README</a>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>LZY-TS backoffice</title></head>
<body>
<h1>LZY-TS backoffice — coming soon</h1>
<p>Until then, see ${readme} to run workflows with pylzy.</p>
</body>
</html>
`;
}

function respond(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function handle(page: string, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://site').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respond(res, 405, 'text/plain', 'method not allowed\n');
  } else if (path === '/') {
    respond(res, 200, 'text/html', page);
  } else if (path === '/healthz') {
    respond(res, 200, 'text/plain', 'ok\n');
  } else {
    respond(res, 404, 'text/plain', 'not found\n');
  }
}

/**
 * Serves the site's web pages over plain HTTP (node:http).
 * @throws Error if the port cannot be bound
 */
export async function startSiteHttpServer(options: {
  host: string;
  port: number;
  /** Where the placeholder page's README link points; unset = no link. */
  readmeUrl?: string | undefined;
  log: Logger;
}): Promise<SiteHttpServer> {
  const page = placeholderPage(options.readmeUrl);
  const server = createServer((req, res) => handle(page, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new Error(`cannot listen on ${options.host}:${options.port}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ httpPort: port }, 'site http server listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      })),
  };
}
