import type { Logger } from '@lzy/logging';
import type { GithubOAuth } from '../clients/github-oauth.ts';
import type { CsrfGuard } from '../domain/csrf.ts';
import type { LayoutCache } from '../domain/layout-cache.ts';
import type { LiveExecutions } from '../domain/live-executions.ts';
import type { LoginLinks } from '../domain/login-links.ts';
import type {
  ExecutionSource,
  IdentityPort,
  OperatorSource,
  WhiteboardSource,
} from '../domain/ports.ts';
import type { Sessions } from '../domain/sessions.ts';

/** Everything the HTTP routes use; built by service.ts. */
export interface RouteDeps {
  sessions: Sessions;
  csrf: CsrfGuard;
  links: LoginLinks;
  /** undefined: GitHub sign-in is not configured. */
  github: GithubOAuth | undefined;
  identity: IdentityPort;
  executions: ExecutionSource;
  live: LiveExecutions;
  layouts: LayoutCache;
  whiteboards: WhiteboardSource;
  operators: OperatorSource;
  /** The site's public root URL (no trailing slash), if configured. */
  publicUrl: string | undefined;
  /** Cookies get Secure (public URL is https). */
  secureCookies: boolean;
  sessionTtlMs: number;
  /** Aborted when the site stops: ends every event stream. */
  stopping: AbortSignal;
  log: Logger;
}

export const SESSION_COOKIE = 'lzy_session';
export const OAUTH_STATE_COOKIE = 'lzy_oauth_state';
