import { z } from 'zod';
import { loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z.object({ ...serverEnvShape({ port: 8443 }) }).transform((env) => ({
  server: toServerConfig(env),
}));

export interface IamConfig {
  server: ServerConfig;
}

/** Parses the iam environment once at start-up; throws ConfigError naming every bad variable. */
export function loadIamConfig(env: Env): IamConfig {
  return loadConfig(schema, env);
}
