import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startGrpcServer } from '@lzy/grpc';
import type { Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { GithubOAuth } from './clients/github-oauth.ts';
import { createSiteSources } from './clients/site-clients.ts';
import type { SiteSources } from './clients/site-clients.ts';
import type { SiteConfig } from './config.ts';
import { CsrfGuard } from './domain/csrf.ts';
import { LayoutCache } from './domain/layout-cache.ts';
import { LiveExecutions } from './domain/live-executions.ts';
import { LoginLinks } from './domain/login-links.ts';
import { deriveKey, SessionCookieCodec } from './domain/session-cookie.ts';
import { Sessions } from './domain/sessions.ts';
import { adminRoutes } from './http/admin-routes.ts';
import { authRoutes } from './http/auth-routes.ts';
import { executionRoutes } from './http/execution-routes.ts';
import { keyRoutes } from './http/key-routes.ts';
import type { RouteDeps } from './http/route-deps.ts';
import { startSiteHttpServer } from './http/site-http-server.ts';
import { StaticFiles } from './http/static-files.ts';
import { whiteboardRoutes } from './http/whiteboard-routes.ts';

export interface SiteDeps {
  log: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: gRPC adapters of the configured addresses. */
  sources?: Omit<SiteSources, 'close'>;
  /** Where the built pages are. Default: this package's dist/. */
  distDir?: string;
}

export interface RunningSite {
  port: number;
  metricsPort?: number;
  /** Port of the web pages. */
  httpPort: number;
  /** The pages' root URL as this process serves them (public URL if configured). */
  url: string;
  /**
   * A one-time link that signs `login` in (creating the iam user if needed), valid once for
   * LZY_SITE_LOGIN_LINK_TTL_MS (or `ttlMs`). For the local suite, which has no GitHub app.
   */
  loginLink(login: string, options?: { ttlMs?: number }): Promise<string>;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_DIST = fileURLToPath(new URL('../dist', import.meta.url));

/**
 * Starts the site: the web UI (sign-in, keys, executions with live graphs and logs, whiteboards,
 * operators) over HTTP, plus the gRPC health check. It reads everything through the other
 * services as `lzy-internal` and filters by the signed-in user (iam decides who that is).
 * @throws if a port cannot be bound (nothing is left running then)
 */
export async function startSite(config: SiteConfig, deps: SiteDeps): Promise<RunningSite> {
  const log = deps.log;
  const clock = deps.clock ?? { now: () => Date.now() };
  if (config.sessionSecret === undefined) {
    log.warn('LZY_SITE_SESSION_SECRET is not set: sessions end when this process stops');
  }
  if (config.internalPrivateKeyPem === undefined && deps.sources === undefined) {
    log.warn(
      'LZY_INTERNAL_PRIVATE_KEY is not set: every call to the other services will be refused',
    );
  }
  const secret = Buffer.from(config.sessionSecret ?? randomBytes(32).toString('hex'));
  const created = deps.sources === undefined ? createSiteSources(config, clock) : undefined;
  const sources = deps.sources ?? created!;
  const files = await StaticFiles.load(deps.distDir ?? DEFAULT_DIST);
  if (files === undefined)
    log.error('the pages are not built (dist/ is missing): run pnpm install');
  const stopping = new AbortController();
  const live = new LiveExecutions({
    source: sources.executions,
    log: log.child({ component: 'live' }),
  });
  const links = new LoginLinks({ clock, ttlMs: config.loginLinkTtlMs });
  const sessions = new Sessions({
    identity: sources.identity,
    codec: new SessionCookieCodec(secret),
    clock,
    ttlMs: config.sessionTtlMs,
    authCacheMs: config.authCacheMs,
    adminLogins: config.adminLogins,
    log: log.child({ component: 'sessions' }),
  });
  const routeDeps: RouteDeps = {
    sessions,
    csrf: new CsrfGuard(deriveKey(secret, 'csrf')),
    links,
    github: config.github === undefined ? undefined : new GithubOAuth(config.github),
    identity: sources.identity,
    executions: sources.executions,
    live,
    layouts: new LayoutCache(),
    whiteboards: sources.whiteboards,
    operators: sources.operators,
    publicUrl: config.publicUrl,
    secureCookies: config.publicUrl?.startsWith('https://') ?? false,
    sessionTtlMs: config.sessionTtlMs,
    stopping: stopping.signal,
    log,
  };

  const server = await startGrpcServer({ name: 'site', ...config.server, log, services: [] });
  let http;
  try {
    http = await startSiteHttpServer({
      host: config.server.host,
      port: config.httpPort,
      routes: [
        ...authRoutes(routeDeps),
        ...keyRoutes(routeDeps),
        ...executionRoutes(routeDeps),
        ...whiteboardRoutes(routeDeps),
        ...adminRoutes(routeDeps),
      ],
      deps: routeDeps,
      files,
      log,
    });
  } catch (err) {
    await server.stop();
    created?.close();
    throw err;
  }
  const web = http;
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = config.publicUrl ?? `http://${host}:${web.port}`;
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopping.abort();
    live.stop();
    await Promise.all([server.stop(), web.close()]);
    created?.close();
  };
  return {
    port: server.port,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    httpPort: web.port,
    url,
    loginLink: (login, options) =>
      Promise.resolve(`${url}/auth/link?token=${links.mint(login, options?.ttlMs)}`),
    stop: () => (stopped ??= stop()),
  };
}
