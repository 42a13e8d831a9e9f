import { z } from 'zod';
import {
  encryptionKeys,
  hostPort,
  loadConfig,
  serverEnvShape,
  stringBool,
  toServerConfig,
  url,
} from '@lzy/config';
import type { EncryptionKey, Env, ServerConfig } from '@lzy/config';

/** How users get S3 keys; see UserKeyProvider (src/domain/ports.ts). */
export const USER_KEY_PROVIDERS = ['versitygw', 'shared-admin-key'] as const;
export type UserKeyProviderName = (typeof USER_KEY_PROVIDERS)[number];

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
     * The installation's admin key pair (versitygw: its root key): the service creates buckets
     * and users' accounts with it. Never handed to users, except with shared-admin-key.
     */
    LZY_S3_ACCESS_KEY_ID: z.string().default(''),
    LZY_S3_SECRET_ACCESS_KEY: z.string().default(''),
    /**
     * Where users' S3 keys come from. `versitygw`: an account per user in versitygw's internal
     * IAM (the gateway runs with --iam-dir), owning only that user's buckets. `shared-admin-key`:
     * every user gets LZY_S3_ACCESS_KEY_ID itself, so S3 does not keep users apart; only for a
     * single-tenant installation on an S3 server without an IAM.
     */
    LZY_S3_USER_KEYS: z
      .enum(USER_KEY_PROVIDERS, { error: `expected one of ${USER_KEY_PROVIDERS.join('|')}` })
      .default('versitygw'),
    /** versitygw's admin API (`--admin-port`); default LZY_S3_ENDPOINT, where it also answers. */
    LZY_S3_ADMIN_ENDPOINT: url().optional(),
    /**
     * Key ring sealing users' S3 secrets in the database (`<id>:<base64 of 32 bytes>`, comma
     * separated, first seals; see encryptionKeys in @lzy/config).
     */
    LZY_ENCRYPTION_KEYS: encryptionKeys(),
    /** Endpoint handed to clients when users reach S3 by another address; default LZY_S3_ENDPOINT. */
    LZY_S3_PUBLIC_ENDPOINT: url().optional(),
    /** Path-style URLs (endpoint/bucket/key): needed by servers without per-bucket DNS. */
    LZY_S3_FORCE_PATH_STYLE: stringBool().default(true),
  })
  .superRefine((env, ctx) => {
    if (env.LZY_S3_USER_KEYS !== 'versitygw') return;
    if (env.LZY_S3_ADMIN_ENDPOINT === undefined && env.LZY_S3_ENDPOINT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['LZY_S3_ENDPOINT'],
        message: 'LZY_S3_USER_KEYS=versitygw needs the gateway: set LZY_S3_ENDPOINT',
      });
    }
    if (env.LZY_S3_ACCESS_KEY_ID === '' || env.LZY_S3_SECRET_ACCESS_KEY === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['LZY_S3_ACCESS_KEY_ID'],
        message:
          "LZY_S3_USER_KEYS=versitygw needs the gateway's root key: set LZY_S3_ACCESS_KEY_ID and LZY_S3_SECRET_ACCESS_KEY",
      });
    }
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
    userKeys: env.LZY_S3_USER_KEYS,
    adminEndpoint: env.LZY_S3_ADMIN_ENDPOINT ?? env.LZY_S3_ENDPOINT ?? '',
    encryptionKeys: env.LZY_ENCRYPTION_KEYS,
  }));

/** Where the installation's S3 is and its admin key pair. */
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
  userKeys: UserKeyProviderName;
  /** versitygw's admin API (with userKeys 'versitygw'). */
  adminEndpoint: string;
  encryptionKeys: readonly EncryptionKey[];
}

/** Parses the storage environment once at start-up; throws ConfigError naming every bad variable. */
export function loadStorageConfig(env: Env): StorageConfig {
  return loadConfig(schema, env);
}
