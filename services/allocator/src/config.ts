import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { csv, durationMs, hostPort, loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';
import type { VmPoolSpec } from './domain/vm-pool.ts';

const poolSchema = z.object({
  label: z.string().min(1),
  cluster_type: z.enum(['WORKER', 'SYSTEM']),
  cpu_type: z.string().default('Intel Cascade Lake'),
  cpu_count: z.number().int().nonnegative().default(2),
  gpu_type: z.string().default('NO_GPU'),
  gpu_count: z.number().int().nonnegative().default(0),
  ram_gb: z.number().int().nonnegative().default(2),
  zones: z.array(z.string().min(1)).min(1).default(['local']),
  /** 0 = no cap. */
  max_vms: z.number().int().nonnegative().default(0),
});

type PoolJson = z.input<typeof poolSchema>;

/** Pools of the local suite (common brief): `s`, `m` for workers, `portals` for portal VMs. */
const DEFAULT_POOLS: PoolJson[] = [
  { label: 's', cluster_type: 'WORKER', cpu_count: 2, ram_gb: 2, max_vms: 8 },
  { label: 'm', cluster_type: 'WORKER', cpu_count: 4, ram_gb: 8, max_vms: 8 },
  { label: 'portals', cluster_type: 'SYSTEM', cpu_count: 2, ram_gb: 2, max_vms: 16 },
];

const poolsJson = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'expected a JSON array of pools', input: raw });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(poolSchema, { error: 'expected a JSON array of pools' })
      .min(1)
      .refine((pools) => new Set(pools.map((p) => p.label)).size === pools.length, {
        error: 'pool labels must be unique',
      }),
  );

function packagePath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

const schema = z
  .object({
    ...serverEnvShape({ port: 8132 }),
    /** The allocator's database; connected lazily, migrated at start (retried while it is down). */
    LZY_DB_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/lzy_allocator'),
    /** iam (LzyAuthenticateService, LzySubjectService). Unset: no IAM (VM keys stay in memory). */
    LZY_IAM_ADDRESS: hostPort().optional(),
    /** PEM private key of the internal identity `lzy-internal`; signs our calls to iam. */
    LZY_INTERNAL_PRIVATE_KEY: z.string().min(1).optional(),
    /** Passed to VMs as LZY_CHANNEL_MANAGER_ADDRESS. */
    LZY_CHANNEL_MANAGER_ADDRESS: hostPort().optional(),
    /** Address VMs use to reach us (Register/Heartbeat). Default 127.0.0.1:<bound port>. */
    LZY_ALLOCATOR_ADVERTISED_ADDRESS: hostPort().optional(),
    /** JSON array of pools (see poolSchema); default: DEFAULT_POOLS. */
    LZY_ALLOCATOR_POOLS: poolsJson.optional(),
    /** A VM that does not Register within this is killed and its Allocate fails DEADLINE_EXCEEDED. */
    LZY_ALLOCATOR_ALLOCATION_TIMEOUT_MS: durationMs().default(120_000),
    /** A RUNNING/IDLE VM without a Heartbeat for this long is deleted; VMs beat every third of it. */
    LZY_ALLOCATOR_HEARTBEAT_TIMEOUT_MS: durationMs().default(60_000),
    /** How often expired VMs (idle, heartbeat, allocation deadlines) are looked for. */
    LZY_ALLOCATOR_SWEEP_INTERVAL_MS: durationMs().default(1_000),
    /** Deleting a VM process: SIGTERM, then SIGKILL after this long. */
    LZY_ALLOCATOR_KILL_GRACE_MS: durationMs().default(5_000),
    /** main.ts of VMs whose workload is `worker` (or of WORKER-cluster VMs without workloads). */
    LZY_ALLOCATOR_LOCAL_WORKER_MAIN: z
      .string()
      .min(1)
      .default(packagePath('../../worker/src/main.ts')),
    /** main.ts of VMs whose workload is `portal` (or of SYSTEM-cluster VMs without workloads). */
    LZY_ALLOCATOR_LOCAL_PORTAL_MAIN: z
      .string()
      .min(1)
      .default(packagePath('../../portal/src/main.ts')),
    /**
     * Directory for one `<vmId>.log` per VM process (stdout + stderr). Unset: VM output goes to
     * the allocator's own log at debug level, one entry per line, tagged with the vm id.
     */
    LZY_ALLOCATOR_LOCAL_LOG_DIR: z.string().min(1).optional(),
    /**
     * LZY_* variables of the allocator's own environment copied into every VM process, e.g.
     * `LZY_LOG_LEVEL,LZY_S3_ENDPOINT`. Other LZY_* variables never reach VMs (our database URL and
     * private key must not reach user code); non-LZY variables (PATH, HOME…) always do.
     */
    LZY_ALLOCATOR_LOCAL_VM_ENV_PASSTHROUGH: csv().default(['LZY_LOG_LEVEL']),
  })
  .superRefine((env, ctx) => {
    if (env.LZY_IAM_ADDRESS !== undefined && env.LZY_INTERNAL_PRIVATE_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['LZY_INTERNAL_PRIVATE_KEY'],
        message: 'required with LZY_IAM_ADDRESS: VM subjects are created in iam as lzy-internal',
      });
    }
  })
  .transform((env) => ({
    server: toServerConfig(env),
    dbUrl: env.LZY_DB_URL,
    iamAddress: env.LZY_IAM_ADDRESS,
    internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
    channelManagerAddress: env.LZY_CHANNEL_MANAGER_ADDRESS,
    advertisedAddress: env.LZY_ALLOCATOR_ADVERTISED_ADDRESS,
    pools: (env.LZY_ALLOCATOR_POOLS ?? DEFAULT_POOLS.map((p) => poolSchema.parse(p))).map(
      toPoolSpec,
    ),
    allocationTimeoutMs: env.LZY_ALLOCATOR_ALLOCATION_TIMEOUT_MS,
    heartbeatTimeoutMs: env.LZY_ALLOCATOR_HEARTBEAT_TIMEOUT_MS,
    sweepIntervalMs: env.LZY_ALLOCATOR_SWEEP_INTERVAL_MS,
    killGraceMs: env.LZY_ALLOCATOR_KILL_GRACE_MS,
    local: {
      workerMain: env.LZY_ALLOCATOR_LOCAL_WORKER_MAIN,
      portalMain: env.LZY_ALLOCATOR_LOCAL_PORTAL_MAIN,
      logDir: env.LZY_ALLOCATOR_LOCAL_LOG_DIR,
      passthrough: env.LZY_ALLOCATOR_LOCAL_VM_ENV_PASSTHROUGH,
    },
  }));

function toPoolSpec(p: z.output<typeof poolSchema>): VmPoolSpec {
  return {
    label: p.label,
    clusterType: p.cluster_type,
    cpuType: p.cpu_type,
    cpuCount: p.cpu_count,
    gpuType: p.gpu_type,
    gpuCount: p.gpu_count,
    ramGb: p.ram_gb,
    zones: p.zones,
    maxVms: p.max_vms,
  };
}

/**
 * Variables of the allocator's own environment that VM processes inherit: everything except
 * `LZY_*` (so the allocator's database URL and private key never reach user code), plus the
 * LZY_* names listed in `passthrough`.
 */
function inheritedEnv(env: Env, passthrough: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (!key.startsWith('LZY_') || passthrough.includes(key)) out[key] = value;
  }
  return out;
}

export interface AllocatorConfig {
  server: ServerConfig;
  dbUrl: string;
  iamAddress: string | undefined;
  internalPrivateKeyPem: string | undefined;
  channelManagerAddress: string | undefined;
  advertisedAddress: string | undefined;
  pools: VmPoolSpec[];
  allocationTimeoutMs: number;
  heartbeatTimeoutMs: number;
  sweepIntervalMs: number;
  killGraceMs: number;
  local: {
    workerMain: string;
    portalMain: string;
    logDir: string | undefined;
    /** Environment VM processes start with (plus their LZY_* variables). */
    inheritedEnv: Record<string, string>;
  };
}

/** Parses the allocator environment once at start-up; throws ConfigError naming every bad variable. */
export function loadAllocatorConfig(env: Env): AllocatorConfig {
  const parsed = loadConfig(schema, env);
  const { passthrough, ...local } = parsed.local;
  return { ...parsed, local: { ...local, inheritedEnv: inheritedEnv(env, passthrough) } };
}
