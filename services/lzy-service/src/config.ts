import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8899 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface LzyServiceConfig {
  server: ServerConfig;
}

/** Parses the lzy-service environment once at start-up; throws ConfigError naming every bad variable. */
export function loadLzyServiceConfig(env: Env): LzyServiceConfig {
  return loadConfig(schema, env);
}
