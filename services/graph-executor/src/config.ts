import { z } from 'zod';
import { hostPort, loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z
  .object({
    ...serverEnvShape({ port: 8130 }),
    /** The service's own PostgreSQL database; unreachable at start = health NOT_SERVING until it is. */
    LZY_DB_URL: z
      .string()
      .min(1, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_graph_executor'),
    /** iam, which verifies the JWT of every inbound call (cached). */
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    /** The scheduler that runs each released task. */
    LZY_SCHEDULER_ADDRESS: hostPort().default('127.0.0.1:8131'),
    /**
     * PEM private key of the `lzy-internal` identity, signing our calls to the scheduler. Unset:
     * calls go without credentials and the scheduler refuses them (a local process without iam).
     */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    schedulerAddress: env.LZY_SCHEDULER_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
  }));

export interface GraphExecutorConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string;
  schedulerAddress: string;
  internalPrivateKeyPem: string | undefined;
}

/** Parses the graph-executor environment once at start-up; throws ConfigError naming every bad variable. */
export function loadGraphExecutorConfig(env: Env): GraphExecutorConfig {
  return loadConfig(schema, env);
}
