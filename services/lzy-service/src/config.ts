import { z } from 'zod';
import { isIP } from 'node:net';
import {
  csv,
  durationMs,
  encryptionKeys,
  hostPort,
  loadConfig,
  serverEnvShape,
  toServerConfig,
  url,
} from '@lzy/config';
import type { EncryptionKey, Env, ServerConfig } from '@lzy/config';

/** `address/prefix` or a bare address, IPv4 or IPv6. */
function isNetwork(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

const schema = z
  .object({
    ...serverEnvShape({ port: 8899 }),
    /** lzy-service's own database. Connected lazily: start() does not fail while PG is down. */
    LZY_DB_URL: z
      .string()
      .min(1, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_lzy_service'),
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    LZY_STORAGE_ADDRESS: hostPort().default('127.0.0.1:8134'),
    LZY_ALLOCATOR_ADDRESS: hostPort().default('127.0.0.1:8132'),
    LZY_CHANNEL_MANAGER_ADDRESS: hostPort().default('127.0.0.1:8133'),
    LZY_GRAPH_EXECUTOR_ADDRESS: hostPort().default('127.0.0.1:8130'),
    /**
     * PEM private key of the services' internal identity (`lzy-internal`), used to sign calls to
     * the other services. Unset: outbound calls carry no credentials (only useful for a
     * health-only start; every neighbour will refuse them).
     */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
    /** System-cluster pool of the per-execution portal VMs. */
    LZY_PORTAL_POOL: z.string().min(1).default('portals'),
    /** How long StartWorkflow waits for the portal VM (ms); then DEADLINE_EXCEEDED. */
    LZY_PORTAL_ALLOCATION_TIMEOUT_MS: durationMs().default(600_000),
    /** How long FinishWorkflow lets the portal drain std streams and snapshots (ms; LZY: 5 min). */
    LZY_PORTAL_FINISH_TIMEOUT_MS: durationMs().default(300_000),
    LZY_PORTAL_UNREACHABLE_MS: durationMs().default(30_000),
    /**
     * An execution whose client made no call for this long (ms) is aborted by the execution
     * reaper, freeing its portal VM. Calls naming the execution (ExecuteGraph, GraphStatus,
     * StopGraph, GetAvailablePools) and an open ReadStdSlots stream count. Default 1 h.
     */
    LZY_EXECUTION_IDLE_TIMEOUT_MS: durationMs().default(3_600_000),
    /**
     * Active (running) executions one user may have at once; StartWorkflow beyond it is
     * RESOURCE_EXHAUSTED. Each holds a portal VM, so this keeps one user from filling the pool.
     */
    LZY_MAX_ACTIVE_EXECUTIONS_PER_USER: z.coerce
      .number({ error: 'expected a positive integer' })
      .int({ error: 'expected a positive integer' })
      .positive({ error: 'expected a positive integer' })
      .default(32),
    /**
     * Key ring sealing the S3 credentials stored with each execution (`<id>:<base64 of 32
     * bytes>`, comma separated, first seals; see encryptionKeys in @lzy/config).
     */
    LZY_ENCRYPTION_KEYS: encryptionKeys(),
    /**
     * The installation's own S3 (the chart and the local suite set them for every service):
     * users may give these endpoints in StartWorkflow even when they are private addresses.
     */
    LZY_S3_ENDPOINT: url().optional(),
    LZY_S3_PUBLIC_ENDPOINT: url().optional(),
    /**
     * Networks (CIDRs, IPv4 or IPv6) a user's own S3 endpoint may reach although they are
     * loopback, private or link-local (e.g. an in-cluster MinIO); default none.
     */
    LZY_USER_S3_ALLOWED_NETWORKS: csv()
      .refine((entries) => entries.every(isNetwork), {
        error: 'expected CIDRs like 10.20.0.0/16 or fd00::/8, comma separated',
      })
      .default([]),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    storageAddress: env.LZY_STORAGE_ADDRESS,
    allocatorAddress: env.LZY_ALLOCATOR_ADDRESS,
    channelManagerAddress: env.LZY_CHANNEL_MANAGER_ADDRESS,
    graphExecutorAddress: env.LZY_GRAPH_EXECUTOR_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
    portalPool: env.LZY_PORTAL_POOL,
    portalAllocationTimeoutMs: env.LZY_PORTAL_ALLOCATION_TIMEOUT_MS,
    portalFinishTimeoutMs: env.LZY_PORTAL_FINISH_TIMEOUT_MS,
    portalUnreachableMs: env.LZY_PORTAL_UNREACHABLE_MS,
    executionIdleTimeoutMs: env.LZY_EXECUTION_IDLE_TIMEOUT_MS,
    maxActiveExecutionsPerUser: env.LZY_MAX_ACTIVE_EXECUTIONS_PER_USER,
    encryptionKeys: env.LZY_ENCRYPTION_KEYS,
    trustedS3Endpoints: [env.LZY_S3_ENDPOINT, env.LZY_S3_PUBLIC_ENDPOINT].filter(
      (endpoint): endpoint is string => endpoint !== undefined,
    ),
    userS3AllowedNetworks: env.LZY_USER_S3_ALLOWED_NETWORKS,
  }));

export interface LzyServiceConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string;
  storageAddress: string;
  allocatorAddress: string;
  channelManagerAddress: string;
  graphExecutorAddress: string;
  internalPrivateKeyPem: string | undefined;
  portalPool: string;
  portalAllocationTimeoutMs: number;
  portalFinishTimeoutMs: number;
  /** A portal that does not answer while its VM lives is given up after this (teardown). */
  portalUnreachableMs: number;
  /** Executions with no call from their client for this long are aborted (execution reaper). */
  executionIdleTimeoutMs: number;
  maxActiveExecutionsPerUser: number;
  encryptionKeys: readonly EncryptionKey[];
  /** The installation's S3 endpoints (always allowed as users' endpoints). */
  trustedS3Endpoints: readonly string[];
  userS3AllowedNetworks: readonly string[];
}

/** Parses the lzy-service environment once at start-up; throws ConfigError naming every bad variable. */
export function loadLzyServiceConfig(env: Env): LzyServiceConfig {
  return loadConfig(schema, env);
}
