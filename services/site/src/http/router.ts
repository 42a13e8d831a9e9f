import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@lzy/logging';
import type { SessionUser } from '../domain/sessions.ts';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  requestId: string;
  log: Logger;
  /** Set for routes of access `user` and `admin`. */
  user: SessionUser | undefined;
}

/** A signed-in request (routes of access `user` or `admin`). */
export type UserContext = RequestContext & { user: SessionUser };

export type Access = 'public' | 'user' | 'admin';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Matched against the whole path; named groups become `params`. */
  pattern: RegExp;
  access: Access;
  handler: (ctx: RequestContext) => Promise<void>;
}

/** A route whose handler gets a signed-in user (the server checked the session and CSRF). */
export function userRoute(
  method: Route['method'],
  pattern: RegExp,
  handler: (ctx: UserContext) => Promise<void>,
  access: 'user' | 'admin' = 'user',
): Route {
  return {
    method,
    pattern,
    access,
    handler: (ctx) => {
      if (ctx.user === undefined) throw new Error(`route ${pattern.source} ran without a user`);
      return handler({ ...ctx, user: ctx.user });
    },
  };
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | 'method' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    pathMatched = true;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(match.groups ?? {})) {
        params[key] = decodeURIComponent(value);
      }
      return { route, params };
    }
  }
  return pathMatched ? 'method' : undefined;
}
