import { z } from 'zod';
import { hostPort, loadConfig, serverEnvShape, stringBool, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z
  .object({
    ...serverEnvShape({ port: 8133 }),
    /** The service's own PostgreSQL database; unreachable at start = health NOT_SERVING until it is. */
    LZY_DB_URL: z
      .string()
      .min(1, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_channel_manager'),
    /** iam, which verifies the JWT of every inbound call (cached). */
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    /**
     * Check each worker sender offered to a receiver (a gRPC health check of its address, sent
     * without credentials: the address comes from a VM) and unbind it when its worker is gone,
     * so receivers read the portal's copy. false: senders are never checked.
     */
    LZY_CHECK_WORKER_SENDERS: stringBool().default(true),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    checkWorkerSenders: env.LZY_CHECK_WORKER_SENDERS,
  }));

export interface ChannelManagerConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string;
  checkWorkerSenders: boolean;
}

/** Parses the channel-manager environment once at start-up; throws ConfigError naming every bad variable. */
export function loadChannelManagerConfig(env: Env): ChannelManagerConfig {
  return loadConfig(schema, env);
}
