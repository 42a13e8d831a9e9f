import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8132 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface AllocatorConfig {
  server: ServerConfig;
}

/** Parses the allocator environment once at start-up; throws ConfigError naming every bad variable. */
export function loadAllocatorConfig(env: Env): AllocatorConfig {
  return loadConfig(schema, env);
}
