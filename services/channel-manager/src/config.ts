import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8133 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface ChannelManagerConfig {
  server: ServerConfig;
}

/** Parses the channel-manager environment once at start-up; throws ConfigError naming every bad variable. */
export function loadChannelManagerConfig(env: Env): ChannelManagerConfig {
  return loadConfig(schema, env);
}
