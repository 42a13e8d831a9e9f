import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@lzy/logging';
import { requireAdmin } from '../domain/access-policy.ts';
import { isAllowedOrigin, isUnsafeMethod } from '../domain/csrf.ts';
import {
  httpStatusOf,
  parseCookies,
  publicMessageOf,
  SECURITY_HEADERS,
  sendJson,
} from './http-kit.ts';
import { SESSION_COOKIE } from './route-deps.ts';
import type { RouteDeps } from './route-deps.ts';
import { matchRoute } from './router.ts';
import type { RequestContext, Route } from './router.ts';
import type { StaticFiles } from './static-files.ts';

export interface SiteHttpServer {
  port: number;
  /** Stops accepting, ends event streams (via deps.stopping) and closes connections. Idempotent. */
  close(): Promise<void>;
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LZY</title></head>
<body><main><h1>The site's pages are not built</h1>
<p>Run <code>pnpm install</code> (or <code>pnpm --filter @lzy/site build</code>) and restart the site.</p>
</main></body></html>`;

/**
 * The site over HTTP: JSON API and event streams under /api and /auth (session checked, CSRF on
 * every change, admin routes behind the role), the built pages for everything else.
 */
export async function startSiteHttpServer(options: {
  host: string;
  port: number;
  routes: Route[];
  deps: RouteDeps;
  files: StaticFiles | undefined;
  log: Logger;
}): Promise<SiteHttpServer> {
  const { routes, deps, files, log } = options;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => log.error({ err }, 'request failed'));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', 'http://site');
    const method = req.method ?? 'GET';
    const requestId = randomUUID();
    const reqLog = log.child({ rid: requestId, method, path: url.pathname });
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (!url.pathname.startsWith('/api/') && !url.pathname.startsWith('/auth/')) {
      servePage(req, res, url.pathname, method);
      return;
    }
    const found = matchRoute(routes, method, url.pathname);
    if (found === undefined || found === 'method') {
      sendJson(res, found === 'method' ? 405 : 404, {
        error: found ? 'method not allowed' : 'not found',
      });
      return;
    }
    const ctx: RequestContext = {
      req,
      res,
      url,
      params: found.params,
      requestId,
      log: reqLog,
      user: undefined,
    };
    try {
      if (found.route.access !== 'public') {
        const user = await deps.sessions.authenticate(
          parseCookies(req.headers.cookie).get(SESSION_COOKIE),
        );
        if (user === undefined) {
          sendJson(res, 401, { error: 'sign in first' });
          return;
        }
        if (isUnsafeMethod(method) && !isSameSite(req, deps, user.sid)) {
          sendJson(res, 403, { error: 'missing or wrong CSRF token; reload the page' });
          return;
        }
        if (found.route.access === 'admin') requireAdmin(user);
        ctx.user = user;
        ctx.log = reqLog.child({ userId: user.userId });
      }
      await found.route.handler(ctx);
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 500) ctx.log.error({ err }, 'request failed');
      else ctx.log.info({ status, reason: (err as Error).message }, 'request refused');
      if (!res.headersSent) sendJson(res, status, { error: publicMessageOf(err, requestId) });
      else res.end();
    }
  }

  function isSameSite(req: IncomingMessage, d: RouteDeps, sid: string): boolean {
    const allowed = [d.publicUrl ?? `http://${req.headers.host ?? ''}`];
    const token = req.headers['x-csrf-token'];
    return (
      isAllowedOrigin(req.headers.origin, allowed) &&
      d.csrf.isValid(sid, typeof token === 'string' ? token : undefined)
    );
  }

  function servePage(req: IncomingMessage, res: ServerResponse, path: string, method: string) {
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' });
    } else if (files === undefined) {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8' }).end(NOT_BUILT_PAGE);
    } else if (!files.serve(req, res, path)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  }

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
  log.info({ httpPort: port }, 'site http server listening');
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
