import { z } from 'zod';
import {
  durationMs,
  hostPort,
  loadConfig,
  serverEnvShape,
  stringBool,
  toServerConfig,
} from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v));

/** A non-negative integer number of bytes. */
const sizeBytes = () =>
  z
    .string()
    .regex(/^\d+$/, { error: 'expected a non-negative integer number of bytes' })
    .transform(Number);

const schema = z
  .object({
    ...serverEnvShape({ port: 8135 }),
    /** IAM, to authenticate callers (lzy-service, workers). */
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    LZY_CHANNEL_MANAGER_ADDRESS: hostPort().default('127.0.0.1:8133'),
    /** Set by the allocator when the portal runs as a VM; unset = standalone (no Register). */
    LZY_ALLOCATOR_ADDRESS: hostPort().optional(),
    LZY_VM_ID: optionalText(),
    /** One-time register token of the VM (allocator). */
    LZY_VM_OTT: optionalText(),
    /** PEM key of the VM's IAM subject: outgoing calls are signed as `vm-<LZY_VM_ID>`. */
    LZY_VM_PRIVATE_KEY: optionalText(),
    /**
     * The user this portal works for (set by the allocator, the session's owner): only VMs of
     * this user may write its std streams and read its slots. Unset: no VM may.
     */
    LZY_VM_OWNER_USER_ID: optionalText(),
    /** PEM key of `lzy-internal`, used for outgoing calls when the portal is not a VM. */
    LZY_INTERNAL_PRIVATE_KEY: optionalText(),
    /** Host written into this portal's slot URIs; default LZY_HOST (127.0.0.1 if it is 0.0.0.0). */
    LZY_ADVERTISED_HOST: optionalText(),
    /** Snapshot S3 clients: StorageConfig carries endpoint and keys but no region. */
    LZY_S3_REGION: z.string().min(1).default('us-east-1'),
    LZY_S3_FORCE_PATH_STYLE: stringBool().default(true),
    /**
     * Multipart part size of snapshots (bytes, ≥ 5 MiB). Outputs of at least one part are PUT
     * to S3 by the producer's worker with URLs this portal presigns; smaller ones pass through
     * the portal in one PutObject.
     */
    LZY_S3_PART_SIZE_BYTES: sizeBytes().default(16 * 1024 * 1024),
    /** Parts a worker PUTs at once when it uploads its output for a snapshot. */
    LZY_S3_PARALLEL_PARTS: z.coerce.number().int().min(1).max(16).default(4),
    /** Std messages kept for ReadStd replays; the oldest are dropped beyond it (bytes). */
    LZY_STD_BUFFER_BYTES: sizeBytes().default(64 * 1024 * 1024),
    /** Finish waits this long for workers' WriteStd streams to end once snapshots are done (ms). */
    LZY_FINISH_STD_GRACE_MS: durationMs().default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.LZY_S3_PART_SIZE_BYTES < 5 * 1024 * 1024)
      ctx.addIssue({
        code: 'custom',
        path: ['LZY_S3_PART_SIZE_BYTES'],
        message: 'must be at least 5 MiB (5242880), the smallest S3 multipart part',
      });
    if (env.LZY_VM_ID !== undefined && env.LZY_ALLOCATOR_ADDRESS === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['LZY_ALLOCATOR_ADDRESS'],
        message: 'required when LZY_VM_ID is set (the portal registers at the allocator)',
      });
  })
  .transform((env) => {
    const server = toServerConfig(env);
    const bindHost =
      server.host === '0.0.0.0' || server.host === '[::]' ? '127.0.0.1' : server.host;
    return {
      server,
      advertisedHost: env.LZY_ADVERTISED_HOST ?? bindHost,
      iamAddress: env.LZY_IAM_ADDRESS,
      channelManagerAddress: env.LZY_CHANNEL_MANAGER_ADDRESS,
      ownerUserId: env.LZY_VM_OWNER_USER_ID,
      vm:
        env.LZY_VM_ID === undefined || env.LZY_ALLOCATOR_ADDRESS === undefined
          ? undefined
          : {
              vmId: env.LZY_VM_ID,
              ott: env.LZY_VM_OTT ?? '',
              allocatorAddress: env.LZY_ALLOCATOR_ADDRESS,
            },
      privateKey: callerKey(env.LZY_VM_ID, env.LZY_VM_PRIVATE_KEY, env.LZY_INTERNAL_PRIVATE_KEY),
      s3: {
        region: env.LZY_S3_REGION,
        forcePathStyle: env.LZY_S3_FORCE_PATH_STYLE,
        partSizeBytes: env.LZY_S3_PART_SIZE_BYTES,
        parallelParts: env.LZY_S3_PARALLEL_PARTS,
      },
      stdBufferBytes: env.LZY_STD_BUFFER_BYTES,
      finishStdGraceMs: env.LZY_FINISH_STD_GRACE_MS,
    };
  });

function callerKey(
  vmId: string | undefined,
  vmKey: string | undefined,
  internalKey: string | undefined,
): PortalConfig['privateKey'] {
  if (vmId !== undefined && vmKey !== undefined) return { pem: vmKey, issuer: `vm-${vmId}` };
  if (internalKey !== undefined) return { pem: internalKey, issuer: 'lzy-internal' };
  return undefined;
}

export interface PortalConfig {
  server: ServerConfig;
  advertisedHost: string;
  iamAddress: string;
  channelManagerAddress: string;
  /** Present when running as an allocator VM. */
  /** LZY_VM_OWNER_USER_ID: the user whose VMs may write std and read slots here. */
  ownerUserId: string | undefined;
  vm: { vmId: string; ott: string; allocatorAddress: string } | undefined;
  /** Identity of outgoing calls; undefined = calls carry no credentials (tests, standalone). */
  privateKey: { pem: string; issuer: string } | undefined;
  s3: { region: string; forcePathStyle: boolean; partSizeBytes: number; parallelParts: number };
  stdBufferBytes: number;
  finishStdGraceMs: number;
}

/** Parses the portal environment once at start-up; throws ConfigError naming every bad variable. */
export function loadPortalConfig(env: Env): PortalConfig {
  return loadConfig(schema, env);
}
