import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { durationMs, hostPort, loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';

const pem = () => z.string().min(1, { error: 'expected a PEM key' });

const trustedKeys = () =>
  z.string().transform((raw, ctx) => {
    try {
      const parsed: unknown = JSON.parse(raw);
      const map = z.record(z.string().min(1), z.string().min(1)).parse(parsed);
      return map;
    } catch {
      ctx.issues.push({
        code: 'custom',
        message: 'expected a JSON object {"<jwt issuer>": "<PEM public key>"}',
        input: raw,
      });
      return z.NEVER;
    }
  });

const schema = z
  .object({
    ...serverEnvShape({ port: 8136 }),
    /** Set by the allocator for a VM process: the worker registers and heartbeats (VM mode). */
    LZY_VM_ID: z.string().min(1).optional(),
    /** One-time register token of the VM (never passed to user commands). */
    LZY_VM_OTT: z.string().min(1).optional(),
    /** The VM's own key: outbound calls carry `iss=vm-<LZY_VM_ID>` tokens signed with it. */
    LZY_VM_PRIVATE_KEY: pem().optional(),
    LZY_ALLOCATOR_ADDRESS: hostPort().optional(),
    /** Inbound calls are authenticated by IAM; unset = only LZY_WORKER_TRUSTED_PUBLIC_KEYS. */
    LZY_IAM_ADDRESS: hostPort().optional(),
    LZY_CHANNEL_MANAGER_ADDRESS: hostPort().optional(),
    /**
     * Standalone mode (no IAM): issuers whose tokens are accepted, JSON `{"lzy-internal": PEM}`.
     * With neither this nor LZY_IAM_ADDRESS every call except the health check is refused.
     */
    LZY_WORKER_TRUSTED_PUBLIC_KEYS: trustedKeys().optional(),
    /** Standalone mode: key for outbound calls as `lzy-internal` (a VM uses LZY_VM_PRIVATE_KEY). */
    LZY_INTERNAL_PRIVATE_KEY: pem().optional(),
    /** Host put into slot URIs and the Register endpoint; default LZY_HOST. */
    LZY_WORKER_ADVERTISED_HOST: z.string().min(1).optional(),
    /** Per-VM directory holding `<taskId>/` (the task's LZY_MOUNT) with its slot files. */
    LZY_WORKER_MOUNT_DIR: z.string().min(1).optional(),
    /** Stop: SIGTERM to the command's process group, SIGKILL after this long (ms). */
    LZY_WORKER_STOP_GRACE_MS: durationMs().default(5_000),
    /** Environment of user commands: a clean one, never the worker's own (it holds secrets). */
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    HOME: z.string().optional(),
    LANG: z.string().default('C.UTF-8'),
  })
  .superRefine((env, ctx) => {
    if (env.LZY_VM_ID === undefined) return;
    for (const name of ['LZY_VM_OTT', 'LZY_VM_PRIVATE_KEY', 'LZY_ALLOCATOR_ADDRESS'] as const) {
      if (env[name] === undefined)
        ctx.issues.push({
          code: 'custom',
          path: [name],
          message: 'required when LZY_VM_ID is set',
          input: undefined,
        });
    }
  })
  .transform((env) => ({
    server: toServerConfig(env),
    vm:
      env.LZY_VM_ID === undefined
        ? undefined
        : {
            vmId: env.LZY_VM_ID,
            ott: env.LZY_VM_OTT ?? '',
            privateKeyPem: env.LZY_VM_PRIVATE_KEY ?? '',
            allocatorAddress: env.LZY_ALLOCATOR_ADDRESS ?? '',
          },
    iamAddress: env.LZY_IAM_ADDRESS,
    channelManagerAddress: env.LZY_CHANNEL_MANAGER_ADDRESS,
    trustedPublicKeys: env.LZY_WORKER_TRUSTED_PUBLIC_KEYS ?? {},
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
    advertisedHost: env.LZY_WORKER_ADVERTISED_HOST ?? env.LZY_HOST,
    mountDir:
      env.LZY_WORKER_MOUNT_DIR ??
      path.join(os.tmpdir(), `lzy-worker-${env.LZY_VM_ID ?? `pid${process.pid}`}`),
    stopGraceMs: env.LZY_WORKER_STOP_GRACE_MS,
    commandEnv: { PATH: env.PATH, HOME: env.HOME, LANG: env.LANG },
  }));

/** Present when the process runs as an allocated VM (LZY_VM_ID set). */
export interface VmIdentity {
  vmId: string;
  ott: string;
  privateKeyPem: string;
  allocatorAddress: string;
}

export interface WorkerConfig {
  server: ServerConfig;
  vm: VmIdentity | undefined;
  iamAddress: string | undefined;
  channelManagerAddress: string | undefined;
  /** JWT issuer → PEM public key, used when iamAddress is unset. */
  trustedPublicKeys: Record<string, string>;
  internalPrivateKeyPem: string | undefined;
  advertisedHost: string;
  mountDir: string;
  stopGraceMs: number;
  /** PATH/LANG always, HOME if set (else the task directory). */
  commandEnv: { PATH: string; HOME: string | undefined; LANG: string };
}

/** Parses the worker environment once at start-up; throws ConfigError naming every bad variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  return loadConfig(schema, env);
}
