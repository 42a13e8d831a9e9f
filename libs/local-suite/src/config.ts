import { z } from 'zod';
import { loadConfig, logLevel, stringBool } from '@lzy/config';
import type { Env, LogLevel } from '@lzy/config';

const schema = z
  .object({
    LZY_HOST: z.string().min(1).default('127.0.0.1'),
    /** true: every service on a free port instead of its default (8899 for the public API…). */
    LZY_RANDOM_PORTS: stringBool().default(false),
    LZY_LOG_LEVEL: logLevel().default('info'),
  })
  .transform((env) => ({
    host: env.LZY_HOST,
    randomPorts: env.LZY_RANDOM_PORTS,
    logLevel: env.LZY_LOG_LEVEL,
  }));

export interface LocalSuiteConfig {
  host: string;
  randomPorts: boolean;
  logLevel: LogLevel;
}

export function loadLocalSuiteConfig(env: Env): LocalSuiteConfig {
  return loadConfig(schema, env);
}
