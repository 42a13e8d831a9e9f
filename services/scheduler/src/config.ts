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

const schema = z
  .object({
    ...serverEnvShape({ port: 8131 }),
    /** The scheduler's own database (tasks, allocator sessions). Connected lazily. */
    LZY_DB_URL: z
      .string()
      .min(1, { error: 'expected a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/lzy_scheduler'),
    /** false: the schema is managed by an operator; start() does not migrate. */
    LZY_DB_MIGRATE_ON_START: stringBool().default(true),
    LZY_ALLOCATOR_ADDRESS: hostPort().default('127.0.0.1:8132'),
    /** Authenticates inbound calls (LzyAuthenticateService). */
    LZY_IAM_ADDRESS: hostPort().default('127.0.0.1:8443'),
    /**
     * PEM private key of the `lzy-internal` identity, signing our calls to the allocator and
     * workers. Unset: calls go without credentials (only useful against unauthenticated peers).
     */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
    /** How long a freed worker VM stays cached for the next task of the same user+workflow. */
    LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: durationMs().default(600_000),
    /**
     * A held VM with nothing to run is given back to the allocator (its session's cache) after
     * this long: long enough that a client awaiting op after op keeps it, short enough that an
     * idle session does not keep a pool's VMs from other sessions.
     */
    LZY_SCHEDULER_VM_LINGER_MS: durationMs().default(2_000),
    /** VMs one user holds at once over all their sessions (allocating ones included). */
    LZY_SCHEDULER_MAX_VMS_PER_USER: z.coerce
      .number({ error: 'expected a positive integer' })
      .int({ error: 'expected a positive integer' })
      .positive({ error: 'expected a positive integer' })
      .default(16),
    /** First delay of the retries after a broken stream or an unreachable peer (doubles to 30 s). */
    LZY_SCHEDULER_RETRY_BACKOFF_MS: durationMs().default(500),
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    migrateOnStart: env.LZY_DB_MIGRATE_ON_START,
    allocatorAddress: env.LZY_ALLOCATOR_ADDRESS,
    iamAddress: env.LZY_IAM_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
    vmIdleTimeoutMs: env.LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS,
    vmLingerMs: env.LZY_SCHEDULER_VM_LINGER_MS,
    maxVmsPerUser: env.LZY_SCHEDULER_MAX_VMS_PER_USER,
    retryBackoffMs: env.LZY_SCHEDULER_RETRY_BACKOFF_MS,
  }));

export interface SchedulerConfig {
  server: ServerConfig;
  dbUrl: string;
  migrateOnStart: boolean;
  allocatorAddress: string;
  iamAddress: string;
  internalPrivateKeyPem: string | undefined;
  vmIdleTimeoutMs: number;
  vmLingerMs: number;
  maxVmsPerUser: number;
  retryBackoffMs: number;
}

/** Parses the scheduler environment once at start-up; throws ConfigError naming every bad variable. */
export function loadSchedulerConfig(env: Env): SchedulerConfig {
  return loadConfig(schema, env);
}
