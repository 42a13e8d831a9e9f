/**
 * @lzy/config — a service's environment parsed once at start-up (STYLE.md §5).
 *
 * Pattern for services/<name>/src/config.ts: the schema keys ARE the environment variable names,
 * and a final `.transform()` maps them into the typed camelCase Config the service uses. Nothing
 * but config.ts knows the names; main.ts calls `loadXConfig(process.env)` once and passes the
 * frozen result down. Tests build a Config through the same function from a plain object.
 *
 * ```ts
 * import { z } from 'zod';
 * import { loadConfig, port, hostPort, durationMs, logLevel, type Env } from '@lzy/config';
 *
 * const schema = z
 *   .object({
 *     LZY_IAM_PORT: port().default(8443),
 *     LZY_IAM_METRICS_PORT: port().optional(), // unset = no metrics endpoint
 *     LZY_IAM_DB_URL: z.string().min(1, { error: 'expected a postgres:// URL' }),
 *     // why: callers retry; a long wait only delays their retry (unit: ms)
 *     LZY_IAM_SHUTDOWN_GRACE_MS: durationMs().default(10_000),
 *     LZY_LOG_LEVEL: logLevel().default('info'),
 *   })
 *   .transform((e) => ({
 *     port: e.LZY_IAM_PORT,
 *     metricsPort: e.LZY_IAM_METRICS_PORT,
 *     dbUrl: e.LZY_IAM_DB_URL,
 *     shutdownGraceMs: e.LZY_IAM_SHUTDOWN_GRACE_MS,
 *     logLevel: e.LZY_LOG_LEVEL,
 *   }));
 *
 * export type IamConfig = z.output<typeof schema>;
 * export const loadIamConfig = (env: Env): IamConfig => loadConfig(schema, env);
 * ```
 *
 * Cross-field rules go in `.superRefine()` before the transform, with `path: ['LZY_…']` so the
 * error names the variable.
 */
export { loadConfig, ConfigError } from './load-config.ts';
export type { Env, ConfigIssue } from './load-config.ts';
export {
  port,
  hostPort,
  durationMs,
  stringBool,
  url,
  logLevel,
  csv,
  encryptionKeys,
  LOG_LEVELS,
} from './fields.ts';
export type { EncryptionKey, LogLevel } from './fields.ts';
export { serverEnvShape, toServerConfig } from './server-env.ts';
export type { ServerConfig } from './server-env.ts';
export { loadTracingConfig } from './tracing-env.ts';
export type { TracingConfig } from './tracing-env.ts';
