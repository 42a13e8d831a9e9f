import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8134 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface StorageConfig {
  server: ServerConfig;
}

/** Parses the storage environment once at start-up; throws ConfigError naming every bad variable. */
export function loadStorageConfig(env: Env): StorageConfig {
  return loadConfig(schema, env);
}
