import { z } from 'zod';
import { hostPort, loadConfig, serverEnvShape, stringBool, toServerConfig, url } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const schema = z
  .object({
    ...serverEnvShape({ port: 8134 }),
    /** The service's own database; migrated at start (retried in the background while down). */
    LZY_DB_URL: z
      .string()
      .min(1, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_storage'),
    /** IAM, to authenticate callers (all RPCs are internal-only). */
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    /** S3 API the service creates buckets on; unset = AWS. */
    LZY_S3_ENDPOINT: url().optional(),
    LZY_S3_REGION: z.string().min(1).default('us-east-1'),
    /**
     * The installation's one key pair. Local S3 servers (versitygw, minio) have no IAM, so every
     * user gets this same pair (known gap: per-user keys need a cloud IAM, reference §9.2).
     */
    LZY_S3_ACCESS_KEY_ID: z.string().default(''),
    LZY_S3_SECRET_ACCESS_KEY: z.string().default(''),
    /** Endpoint handed to clients when users reach S3 by another address; default LZY_S3_ENDPOINT. */
    LZY_S3_PUBLIC_ENDPOINT: url().optional(),
    /** Path-style URLs (endpoint/bucket/key): needed by servers without per-bucket DNS. */
    LZY_S3_FORCE_PATH_STYLE: stringBool().default(true),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    s3: {
      endpoint: env.LZY_S3_ENDPOINT,
      region: env.LZY_S3_REGION,
      accessKeyId: env.LZY_S3_ACCESS_KEY_ID,
      secretAccessKey: env.LZY_S3_SECRET_ACCESS_KEY,
      publicEndpoint: env.LZY_S3_PUBLIC_ENDPOINT ?? env.LZY_S3_ENDPOINT ?? '',
      forcePathStyle: env.LZY_S3_FORCE_PATH_STYLE,
    },
  }));

/** Where the installation's S3 is and the one key pair every user receives. */
export interface S3AdminConfig {
  endpoint: string | undefined;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The endpoint written into users' StorageConfig ('' = AWS default). */
  publicEndpoint: string;
  forcePathStyle: boolean;
}

export interface StorageConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string;
  s3: S3AdminConfig;
}

/** Parses the storage environment once at start-up; throws ConfigError naming every bad variable. */
export function loadStorageConfig(env: Env): StorageConfig {
  return loadConfig(schema, env);
}
