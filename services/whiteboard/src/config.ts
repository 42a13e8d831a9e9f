import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8122 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface WhiteboardConfig {
  server: ServerConfig;
}

/** Parses the whiteboard environment once at start-up; throws ConfigError naming every bad variable. */
export function loadWhiteboardConfig(env: Env): WhiteboardConfig {
  return loadConfig(schema, env);
}
