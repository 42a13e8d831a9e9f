import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8131 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface SchedulerConfig {
  server: ServerConfig;
}

/** Parses the scheduler environment once at start-up; throws ConfigError naming every bad variable. */
export function loadSchedulerConfig(env: Env): SchedulerConfig {
  return loadConfig(schema, env);
}
