import { z } from 'zod';
import { loadConfig, port, serverEnvShape, url, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z
  .object({
    ...serverEnvShape({ port: 8137 }),
    /** Port of the web pages (HTTP, bound on LZY_HOST); 0 picks a free one. */
    LZY_SITE_HTTP_PORT: port().default(8080),
    /** Link target of "README" on the placeholder page (e.g. the repository's web page); unset = plain text. */
    LZY_SITE_README_URL: url().optional(),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    httpPort: env.LZY_SITE_HTTP_PORT,
    readmeUrl: env.LZY_SITE_README_URL,
  }));

export interface SiteConfig {
  server: ServerConfig;
  httpPort: number;
  readmeUrl: string | undefined;
}

/** Parses the site environment once at start-up; throws ConfigError naming every bad variable. */
export function loadSiteConfig(env: Env): SiteConfig {
  return loadConfig(schema, env);
}
