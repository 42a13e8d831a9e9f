import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateRsaKeyPair } from '@lzy/auth';
import { loadIamConfig, startIam } from '@lzy/iam';
import type { RunningIam } from '@lzy/iam';
import { createLogger } from '@lzy/logging';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig, startSite } from '../src/index.ts';
import type { RunningSite } from '../src/index.ts';

const pg = usePostgres();
const silent = createLogger({ service: 'site-test', level: 'silent' });

/**
 * A stand-in for GitHub's OAuth endpoints on loopback (a real HTTP server): /authorize sends the
 * browser back with a code, the token endpoint accepts only that code, /user names `octocat`.
 */
async function startGithub(): Promise<{ url: string; server: Server }> {
  const codes = new Set<string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://github');
    if (url.pathname === '/login/oauth/authorize') {
      const code = `code-${codes.size}`;
      codes.add(code);
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
    } else if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const { code, client_secret } = JSON.parse(body) as { code: string; client_secret: string };
        const ok = codes.delete(code) && client_secret === 'github-secret';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(ok ? { access_token: 'gho_token' } : { error: 'bad_verification_code' }),
        );
      });
    } else if (url.pathname === '/user' && req.headers.authorization === 'Bearer gho_token') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"login":"octocat"}');
    } else {
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('sign-in with GitHub, sessions and CSRF', () => {
  let iam: RunningIam;
  let site: RunningSite;
  let github: { url: string; server: Server };

  beforeAll(async () => {
    const internal = await generateRsaKeyPair();
    iam = await startIam(
      loadIamConfig({
        LZY_PORT: '0',
        LZY_DB_URL: pg.url,
        LZY_IAM_INTERNAL_PUBLIC_KEY: internal.publicKeyPem,
        LZY_LOG_LEVEL: 'silent',
      }),
      { log: silent },
    );
    github = await startGithub();
    site = await startSite(
      loadSiteConfig({
        LZY_PORT: '0',
        LZY_SITE_HTTP_PORT: '0',
        LZY_LOG_LEVEL: 'silent',
        LZY_IAM_ADDRESS: `127.0.0.1:${iam.port}`,
        LZY_INTERNAL_PRIVATE_KEY: internal.privateKeyPem,
        LZY_SITE_GITHUB_CLIENT_ID: 'github-id',
        LZY_SITE_GITHUB_CLIENT_SECRET: 'github-secret',
        LZY_SITE_GITHUB_URL: github.url,
        LZY_SITE_GITHUB_API_URL: github.url,
      }),
      { log: silent },
    );
  });

  afterAll(async () => {
    await site?.stop();
    github?.server.close();
    await iam?.stop();
  });

  const get = (path: string, cookie = '') =>
    fetch(path.startsWith('http') ? path : `${site.url}${path}`, {
      redirect: 'manual',
      headers: cookie === '' ? {} : { cookie },
    });
  const cookieOf = (response: Response, name: string) =>
    response.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${name}=`))
      ?.split(';')[0] ?? '';

  /** The whole OAuth round trip; returns the session cookie (`lzy_session=…`). */
  async function signInWithGithub(): Promise<{ session: string; setCookie: string }> {
    const start = await get('/auth/github');
    expect(start.status).toBe(303);
    const state = cookieOf(start, 'lzy_oauth_state');
    const authorize = new URL(start.headers.get('location') ?? '');
    expect(authorize.searchParams.get('client_id')).toBe('github-id');
    const back = await get(authorize.toString());
    const callback = await get(back.headers.get('location') ?? '', state);
    expect(callback.headers.get('location')).toBe('/');
    const setCookie =
      callback.headers.getSetCookie().find((c) => c.startsWith('lzy_session=')) ?? '';
    return { session: cookieOf(callback, 'lzy_session'), setCookie };
  }

  it('signs a GitHub user in with an HttpOnly, SameSite session cookie', async () => {
    const { session, setCookie } = await signInWithGithub();
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const me = await get('/api/session', session);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { login: string } }).user.login).toBe('octocat');
  });

  it("refuses GitHub's answer without the state this browser was given", async () => {
    const start = await get('/auth/github');
    const authorize = new URL(start.headers.get('location') ?? '');
    const back = await get(authorize.toString());
    const callback = await get(back.headers.get('location') ?? '', 'lzy_oauth_state=forged');
    expect(callback.headers.get('location')).toBe('/login?error=github');
    expect(cookieOf(callback, 'lzy_session')).toBe('');
  });

  it('refuses a change without the CSRF token or from another origin', async () => {
    const { session } = await signInWithGithub();
    const { csrfToken } = (await (await get('/api/session', session)).json()) as {
      csrfToken: string;
    };
    const keys = await generateRsaKeyPair();
    const post = (headers: Record<string, string>) =>
      fetch(`${site.url}/api/keys`, {
        method: 'POST',
        headers: { cookie: session, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'laptop', publicKeyPem: keys.publicKeyPem }),
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrfToken, origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await post({ 'x-csrf-token': csrfToken, origin: site.url })).status).toBe(201);
    const listed = (await (await get('/api/keys', session)).json()) as {
      keys: Array<{ name: string }>;
    };
    expect(listed.keys.map((k) => k.name)).toEqual(['laptop']);
  });

  it('answers 401 to API calls without a valid session', async () => {
    expect((await get('/api/keys')).status).toBe(401);
    expect((await get('/api/executions')).status).toBe(401);
    expect((await get('/api/session', 'lzy_session=v1.bogus')).status).toBe(401);
  });
});
