import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8130 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface GraphExecutorConfig {
  server: ServerConfig;
}

/** Parses the graph-executor environment once at start-up; throws ConfigError naming every bad variable. */
export function loadGraphExecutorConfig(env: Env): GraphExecutorConfig {
  return loadConfig(schema, env);
}
