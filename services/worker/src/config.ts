import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8136 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface WorkerConfig {
  server: ServerConfig;
}

/** Parses the worker environment once at start-up; throws ConfigError naming every bad variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  return loadConfig(schema, env);
}
