import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8135 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface PortalConfig {
  server: ServerConfig;
}

/** Parses the portal environment once at start-up; throws ConfigError naming every bad variable. */
export function loadPortalConfig(env: Env): PortalConfig {
  return loadConfig(schema, env);
}
