import { z } from 'zod';
import {
  csv,
  durationMs,
  hostPort,
  loadConfig,
  port,
  serverEnvShape,
  toServerConfig,
  url,
} from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const HOUR_MS = 3_600_000;

const schema = z
  .object({
    ...serverEnvShape({ port: 8137 }),
    /** Port of the web pages (HTTP, bound on LZY_HOST); 0 picks a free one. */
    LZY_SITE_HTTP_PORT: port().default(8080),
    /**
     * The site's address as browsers reach it (e.g. https://lzy.example.com): GitHub's callback
     * URL, the accepted Origin of changes, and Secure cookies when https. Unset: the request's
     * own Host (local use over plain http).
     */
    LZY_SITE_PUBLIC_URL: url().optional(),
    /** GitHub OAuth app (Settings → Developer settings); both or neither. Unset: no GitHub sign-in. */
    LZY_SITE_GITHUB_CLIENT_ID: z.string().min(1).optional(),
    LZY_SITE_GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    /** GitHub's web and API roots (GitHub Enterprise, or a test server). */
    LZY_SITE_GITHUB_URL: url().default('https://github.com'),
    LZY_SITE_GITHUB_API_URL: url().default('https://api.github.com'),
    /**
     * Seals session cookies and derives CSRF tokens; at least 32 characters, the same on every
     * replica. Unset: a random one per process (sessions end when the site restarts).
     */
    LZY_SITE_SESSION_SECRET: z
      .string()
      .min(32, { error: 'expected at least 32 characters' })
      .optional(),
    /** How long a sign-in lasts (ms). */
    LZY_SITE_SESSION_TTL_MS: durationMs().default(12 * HOUR_MS),
    /** How long a one-time login link works (ms). */
    LZY_SITE_LOGIN_LINK_TTL_MS: durationMs().default(HOUR_MS),
    /** How long a session iam accepted is trusted before asking again (ms): sign-out delay elsewhere. */
    LZY_SITE_AUTH_CACHE_MS: durationMs().default(10_000),
    /** GitHub logins given the operators role (`lzy.admin` in iam) when they sign in. */
    LZY_SITE_ADMIN_LOGINS: csv().default([]),
    /** Link of "Documentation" in the pages' footer (e.g. the repository's README). */
    LZY_SITE_README_URL: url().optional(),
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    LZY_LZY_SERVICE_ADDRESS: hostPort().default('127.0.0.1:8899'),
    LZY_SCHEDULER_ADDRESS: hostPort().default('127.0.0.1:8131'),
    LZY_ALLOCATOR_ADDRESS: hostPort().default('127.0.0.1:8132'),
    LZY_WHITEBOARD_ADDRESS: hostPort().default('127.0.0.1:8122'),
    /** PEM private key of the services' internal identity; the site reads everything as it. */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (
      (env.LZY_SITE_GITHUB_CLIENT_ID === undefined) !==
      (env.LZY_SITE_GITHUB_CLIENT_SECRET === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['LZY_SITE_GITHUB_CLIENT_SECRET'],
        message: 'LZY_SITE_GITHUB_CLIENT_ID and LZY_SITE_GITHUB_CLIENT_SECRET go together',
      });
    }
  })
  .transform((env) => ({
    server: toServerConfig(env),
    httpPort: env.LZY_SITE_HTTP_PORT,
    publicUrl: env.LZY_SITE_PUBLIC_URL?.replace(/\/+$/, ''),
    github:
      env.LZY_SITE_GITHUB_CLIENT_ID === undefined || env.LZY_SITE_GITHUB_CLIENT_SECRET === undefined
        ? undefined
        : {
            clientId: env.LZY_SITE_GITHUB_CLIENT_ID,
            clientSecret: env.LZY_SITE_GITHUB_CLIENT_SECRET,
            webUrl: env.LZY_SITE_GITHUB_URL.replace(/\/+$/, ''),
            apiUrl: env.LZY_SITE_GITHUB_API_URL.replace(/\/+$/, ''),
          },
    sessionSecret: env.LZY_SITE_SESSION_SECRET,
    sessionTtlMs: env.LZY_SITE_SESSION_TTL_MS,
    loginLinkTtlMs: env.LZY_SITE_LOGIN_LINK_TTL_MS,
    authCacheMs: env.LZY_SITE_AUTH_CACHE_MS,
    adminLogins: env.LZY_SITE_ADMIN_LOGINS,
    readmeUrl: env.LZY_SITE_README_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    lzyServiceAddress: env.LZY_LZY_SERVICE_ADDRESS,
    schedulerAddress: env.LZY_SCHEDULER_ADDRESS,
    allocatorAddress: env.LZY_ALLOCATOR_ADDRESS,
    whiteboardAddress: env.LZY_WHITEBOARD_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
  }));

export interface GithubOAuthConfig {
  clientId: string;
  clientSecret: string;
  webUrl: string;
  apiUrl: string;
}

export interface SiteConfig {
  server: ServerConfig;
  httpPort: number;
  publicUrl: string | undefined;
  github: GithubOAuthConfig | undefined;
  sessionSecret: string | undefined;
  sessionTtlMs: number;
  loginLinkTtlMs: number;
  authCacheMs: number;
  adminLogins: string[];
  readmeUrl: string | undefined;
  iamAddress: string;
  lzyServiceAddress: string;
  schedulerAddress: string;
  allocatorAddress: string;
  whiteboardAddress: string;
  internalPrivateKeyPem: string | undefined;
}

/** Parses the site environment once at start-up; throws ConfigError naming every bad variable. */
export function loadSiteConfig(env: Env): SiteConfig {
  return loadConfig(schema, env);
}
