import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8137 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface SiteConfig {
  server: ServerConfig;
}

/** Parses the site environment once at start-up; throws ConfigError naming every bad variable. */
export function loadSiteConfig(env: Env): SiteConfig {
  return loadConfig(schema, env);
}
