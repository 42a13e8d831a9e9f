import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  csv,
  durationMs,
  hostPort,
  loadConfig,
  serverEnvShape,
  stringBool,
  toServerConfig,
} from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';
import type { VmPoolSpec } from './domain/vm-pool.ts';
import type { ClusterType } from './domain/vm.ts';
import type { VmPodPolicy } from './kube/vm-pod-policy.ts';

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
    LZY_ALLOCATOR_LOCAL_VM_ENV_PASSTHROUGH: csv().default([
      'LZY_LOG_LEVEL',
      'LZY_WORKER_UV',
      'LZY_WORKER_PYTHONS',
      'LZY_WORKER_ENV_CACHE_DIR',
      'LZY_WORKER_OP_HOST',
      // Spans of VMs go where the allocator's go (OTEL_* are not LZY_*: they pass anyway).
      'LZY_TRACE_FILE',
    ]),
    /**
     * Standby processes kept per VM entry point (worker, portal) by the local backend: started
     * with the VMs' environment minus any identity, their modules loaded, each waiting for one
     * VM's id, token and key over its stdin (a private pipe), then it registers as that VM. An
     * Allocate takes one instead of starting a process (node start and module loading, ~1 s of
     * CPU, leave the first op's path); a new standby starts in its place. 0: none.
     */
    LZY_ALLOCATOR_LOCAL_STANDBY_VMS: z.coerce.number().int().min(0).max(8).default(1),
    /**
     * How long after a standby is taken its replacement starts. 10 s: its module loading (~0.5 s
     * of CPU, seconds on a busy machine) then stays off the path of the VM just handed over and
     * of the workflow that asked for it (a first workflow took 1.5–8 s on the loaded 2 cores);
     * the next workflow of someone running them one after another still finds it.
     */
    LZY_ALLOCATOR_LOCAL_STANDBY_REFILL_DELAY_MS: durationMs().default(10_000),
    /**
     * Node's compile cache (NODE_COMPILE_CACHE) for VM processes: V8 code of their modules is kept
     * here across processes, which about halves a VM's module loading after the first one. Per
     * machine user (anything that can write here runs code in every VM). Default
     * `$XDG_CACHE_HOME/lzy-ts/node-compile-cache`, else under `$HOME/.cache`; '' disables it.
     */
    LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR: z.string().optional(),
    /** Where VMs run: `local` child processes, or pods on `kubernetes` (src/kube/). */
    LZY_ALLOCATOR_BACKEND: z.enum(['local', 'kubernetes']).default('local'),
    /** Kubeconfig of the WORKER cluster; unset: in-cluster config (the allocator runs in a pod). */
    LZY_ALLOCATOR_KUBECONFIG_WORKER: z.string().min(1).optional(),
    /** Kubeconfig of the SYSTEM cluster (portals); unset: in-cluster config. */
    LZY_ALLOCATOR_KUBECONFIG_SYSTEM: z.string().min(1).optional(),
    /**
     * Namespace of VM pods and their Secrets, the same name in both clusters. It must exist
     * (Helm/Terraform create it): the allocator then needs only a namespaced Role there.
     */
    LZY_ALLOCATOR_KUBE_NAMESPACE: z.string().min(1).default('lzy-vms'),
    /** Image of VMs without workloads in the WORKER cluster (and of workloads without image). */
    LZY_ALLOCATOR_WORKER_IMAGE: z.string().min(1).optional(),
    /** Image of VMs without workloads in the SYSTEM cluster (portals). */
    LZY_ALLOCATOR_PORTAL_IMAGE: z.string().min(1).optional(),
    /**
     * Images an Allocate may name for a workload besides the two above (comma separated; exact
     * names). VM pods run users' code: anything else is refused with PERMISSION_DENIED.
     */
    LZY_ALLOCATOR_ALLOWED_IMAGES: csv().default([]),
    /** Node paths hostPath volumes of VM pods may name (exact paths); default none. */
    LZY_ALLOCATOR_ALLOWED_HOST_PATHS: csv().default([]),
    /** Allow Bidirectional mounts (privileged VM containers); default false. */
    LZY_ALLOCATOR_ALLOW_PRIVILEGED_VMS: stringBool().default(false),
    /**
     * VM pods use the node's network (LZY served slots on the node address). Default false: an
     * op would share the node's network (kubelet, node ports, the cloud metadata address).
     */
    LZY_ALLOCATOR_HOST_NETWORK: stringBool().default(false),
    /**
     * A VM pod that kube-scheduler cannot place for this long fails its allocation with the
     * scheduler's message. 5 min: time for a node-group autoscaler to add a node.
     */
    LZY_ALLOCATOR_UNSCHEDULABLE_DEADLINE_MS: durationMs().default(300_000),
    /**
     * CPU and memory requests of a VM pod, in percent of its pool shape (limits are the whole
     * shape). 50: fits the pool's node after kubelet/system reservations yet keeps a VM off a
     * node too small for its pool; one VM per node comes from anti-affinity. 0: requests of zero
     * (LZY set none; Kubernetes would make absent requests equal to the limits).
     */
    LZY_ALLOCATOR_KUBE_REQUEST_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
    /**
     * LZY's node isolation (reference §3.6): at most one VM per node, and no pod of another
     * tenant beside it. `false` lets VMs share nodes (a single-node development or test cluster);
     * tenants are then not kept apart.
     */
    LZY_ALLOCATOR_KUBE_EXCLUSIVE_NODES: stringBool().default(true),
  })
  .superRefine((env, ctx) => {
    if (env.LZY_ALLOCATOR_BACKEND === 'kubernetes') {
      const required = [
        ['LZY_ALLOCATOR_ADVERTISED_ADDRESS', 'VM pods cannot reach the allocator at 127.0.0.1'],
        ['LZY_ALLOCATOR_WORKER_IMAGE', 'the image of worker VM pods'],
        ['LZY_ALLOCATOR_PORTAL_IMAGE', 'the image of portal VM pods'],
      ] as const;
      for (const [name, why] of required) {
        if (env[name] === undefined) {
          const message = `required with LZY_ALLOCATOR_BACKEND=kubernetes: ${why}`;
          ctx.addIssue({ code: 'custom', path: [name], message });
        }
      }
    }
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
      standbyVms: env.LZY_ALLOCATOR_LOCAL_STANDBY_VMS,
      standbyRefillDelayMs: env.LZY_ALLOCATOR_LOCAL_STANDBY_REFILL_DELAY_MS,
      compileCacheDir: env.LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR,
    },
    backend: env.LZY_ALLOCATOR_BACKEND,
    kube: {
      kubeconfigs: {
        WORKER: env.LZY_ALLOCATOR_KUBECONFIG_WORKER,
        SYSTEM: env.LZY_ALLOCATOR_KUBECONFIG_SYSTEM,
      },
      namespace: env.LZY_ALLOCATOR_KUBE_NAMESPACE,
      images: {
        WORKER: env.LZY_ALLOCATOR_WORKER_IMAGE ?? '',
        SYSTEM: env.LZY_ALLOCATOR_PORTAL_IMAGE ?? '',
      },
      hostNetwork: env.LZY_ALLOCATOR_HOST_NETWORK,
      unschedulableDeadlineMs: env.LZY_ALLOCATOR_UNSCHEDULABLE_DEADLINE_MS,
      requestPercent: env.LZY_ALLOCATOR_KUBE_REQUEST_PERCENT,
      exclusiveNodes: env.LZY_ALLOCATOR_KUBE_EXCLUSIVE_NODES,
      podPolicy: {
        allowedImages: new Set(
          [
            env.LZY_ALLOCATOR_WORKER_IMAGE,
            env.LZY_ALLOCATOR_PORTAL_IMAGE,
            ...env.LZY_ALLOCATOR_ALLOWED_IMAGES,
          ].filter((image): image is string => image !== undefined && image !== ''),
        ),
        allowedHostPaths: new Set(env.LZY_ALLOCATOR_ALLOWED_HOST_PATHS),
        allowPrivileged: env.LZY_ALLOCATOR_ALLOW_PRIVILEGED_VMS,
      },
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
    /** Standby processes per VM entry point (0: none). */
    standbyVms: number;
    /** Delay of a standby's replacement after it is taken. */
    standbyRefillDelayMs: number;
    /** NODE_COMPILE_CACHE of VM processes; undefined: no compile cache. */
    compileCacheDir: string | undefined;
  };
  backend: 'local' | 'kubernetes';
  kube: KubeBackendConfig;
}

/** LZY_ALLOCATOR_BACKEND=kubernetes settings (see the schema for each variable). */
export interface KubeBackendConfig {
  /** Kubeconfig path per cluster; undefined: in-cluster config. */
  kubeconfigs: Record<ClusterType, string | undefined>;
  namespace: string;
  /** Default image per cluster ('' when the backend is local). */
  images: Record<ClusterType, string>;
  hostNetwork: boolean;
  unschedulableDeadlineMs: number;
  requestPercent: number;
  exclusiveNodes: boolean;
  /** What Allocate may put into a VM pod (images, host paths, privilege). */
  podPolicy: VmPodPolicy;
}

/** Parses the allocator environment once at start-up; throws ConfigError naming every bad variable. */
export function loadAllocatorConfig(env: Env): AllocatorConfig {
  const parsed = loadConfig(schema, env);
  const { passthrough, compileCacheDir, ...local } = parsed.local;
  return {
    ...parsed,
    local: {
      ...local,
      inheritedEnv: inheritedEnv(env, passthrough),
      compileCacheDir:
        compileCacheDir === undefined ? defaultCompileCacheDir(env) : compileCacheDir || undefined,
    },
  };
}

/** Under the user's cache directory (XDG), as the worker keeps op environments; none without. */
function defaultCompileCacheDir(env: Env): string | undefined {
  const cacheHome = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return cacheHome === undefined ? undefined : join(cacheHome, 'lzy-ts', 'node-compile-cache');
}
