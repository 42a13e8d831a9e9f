import { randomBytes, timingSafeEqual } from 'node:crypto';
import { PermissionDenied } from '@lzy/errors';
import type { SessionDto, SiteInfoDto } from '../api/types.ts';
import { parseCookies, redirect, sendEmpty, sendJson, serializeCookie } from './http-kit.ts';
import { OAUTH_STATE_COOKIE, SESSION_COOKIE } from './route-deps.ts';
import type { RouteDeps } from './route-deps.ts';
import { userRoute } from './router.ts';
import type { RequestContext, Route } from './router.ts';

const STATE_TTL_SECONDS = 600;

/** The site's own root URL for a request: the configured public URL, else the Host it was asked on. */
export function originOf(ctx: RequestContext, deps: RouteDeps): string {
  return deps.publicUrl ?? `http://${ctx.req.headers.host ?? 'localhost'}`;
}

function sessionCookie(deps: RouteDeps, value: string): string {
  return serializeCookie(SESSION_COOKIE, value, {
    secure: deps.secureCookies,
    maxAgeSeconds: Math.floor(deps.sessionTtlMs / 1000),
  });
}

function clearCookie(deps: RouteDeps, name: string, path = '/'): string {
  return serializeCookie(name, '', { secure: deps.secureCookies, maxAgeSeconds: 0, path });
}

async function signInAndRedirect(
  ctx: RequestContext,
  deps: RouteDeps,
  login: string,
  extra: string[] = [],
) {
  const { cookie } = await deps.sessions.signIn(login);
  redirect(ctx.res, '/', [sessionCookie(deps, cookie), ...extra]);
}

/** Sign-in (GitHub, one-time link), session, sign-out. */
export function authRoutes(deps: RouteDeps): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/api\/info$/,
      access: 'public',
      handler: (ctx) => {
        const info: SiteInfoDto = { githubEnabled: deps.github !== undefined };
        sendJson(ctx.res, 200, info);
        return Promise.resolve();
      },
    },
    userRoute('GET', /^\/api\/session$/, (ctx) => {
      const session: SessionDto = {
        user: { id: ctx.user.userId, login: ctx.user.login, isAdmin: ctx.user.isAdmin },
        csrfToken: deps.csrf.tokenFor(ctx.user.sid),
      };
      sendJson(ctx.res, 200, session);
      return Promise.resolve();
    }),
    userRoute('POST', /^\/auth\/logout$/, async (ctx) => {
      await deps.sessions.signOut(ctx.user);
      ctx.res.setHeader('set-cookie', clearCookie(deps, SESSION_COOKIE));
      sendEmpty(ctx.res, 204);
    }),
    {
      method: 'GET',
      pattern: /^\/auth\/link$/,
      access: 'public',
      handler: async (ctx) => {
        const login = deps.links.consume(ctx.url.searchParams.get('token') ?? '');
        if (login === undefined) {
          redirect(ctx.res, '/login?error=link');
          return;
        }
        await signInAndRedirect(ctx, deps, login);
      },
    },
    {
      method: 'GET',
      pattern: /^\/auth\/github$/,
      access: 'public',
      handler: (ctx) => {
        const github = deps.github;
        if (github === undefined) {
          redirect(ctx.res, '/login?error=github');
          return Promise.resolve();
        }
        // The state binds GitHub's answer to this browser (login CSRF): it must come back equal
        // to the cookie set here.
        const state = randomBytes(24).toString('base64url');
        const cookie = serializeCookie(OAUTH_STATE_COOKIE, state, {
          secure: deps.secureCookies,
          maxAgeSeconds: STATE_TTL_SECONDS,
          path: '/auth/github',
        });
        redirect(
          ctx.res,
          github.authorizeUrl(state, `${originOf(ctx, deps)}/auth/github/callback`),
          [cookie],
        );
        return Promise.resolve();
      },
    },
    {
      method: 'GET',
      pattern: /^\/auth\/github\/callback$/,
      access: 'public',
      handler: async (ctx) => {
        const github = deps.github;
        const expected = parseCookies(ctx.req.headers.cookie).get(OAUTH_STATE_COOKIE) ?? '';
        const state = ctx.url.searchParams.get('state') ?? '';
        const code = ctx.url.searchParams.get('code') ?? '';
        const clearState = clearCookie(deps, OAUTH_STATE_COOKIE, '/auth/github');
        if (github === undefined || code === '' || !sameSecret(state, expected)) {
          redirect(ctx.res, '/login?error=github', [clearState]);
          return;
        }
        let login: string;
        try {
          login = await github.loginOf(code, `${originOf(ctx, deps)}/auth/github/callback`);
        } catch (err) {
          if (!(err instanceof PermissionDenied)) throw err;
          ctx.log.warn({ err }, 'github sign-in refused');
          redirect(ctx.res, '/login?error=github', [clearState]);
          return;
        }
        await signInAndRedirect(ctx, deps, login, [clearState]);
      },
    },
  ];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y);
}
