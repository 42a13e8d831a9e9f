import { z } from 'zod';
import { hostPort, loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
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
     * PEM private key of the `lzy-internal` identity: signs the checks of worker senders
     * (SlotsService.GetSlotStatus). Unset: senders are never checked, so a consumer of an
     * output whose worker is gone fails instead of reading the portal's copy.
     */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
  }));

export interface ChannelManagerConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string;
  internalPrivateKeyPem: string | undefined;
}

/** Parses the channel-manager environment once at start-up; throws ConfigError naming every bad variable. */
export function loadChannelManagerConfig(env: Env): ChannelManagerConfig {
  return loadConfig(schema, env);
}
