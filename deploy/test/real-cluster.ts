import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil } from '@lzy/testing';
import type { KubeCluster, KubeTools } from '@lzy/testing';
import { REPO_DIR, runOk } from './tools.ts';

/** The images docker/podman-build.sh built (or found cached) for this tree. */
export interface BuiltImages {
  /** docker-archive of the services and the portal (`localhost/lzy-<component>:<tag>`). */
  readonly servicesArchive: string;
  /** docker-archive of the worker image. */
  readonly workerArchive: string;
  readonly tag: string;
  /** Image → size in bytes (podman's uncompressed size). */
  readonly sizes: ReadonlyMap<string, number>;
  readonly seconds: number;
}

/** Runs docker/podman-build.sh (a quick no-op when the content hash is cached). */
export async function buildImages(): Promise<BuiltImages> {
  const started = Date.now();
  const out = await runOk('bash', [join(REPO_DIR, 'docker', 'podman-build.sh')]);
  const dir = out.trim().split('\n').at(-1) ?? '';
  const tag = (await readFile(join(dir, 'tag'), 'utf8')).trim();
  const sizes = new Map(
    (await readFile(join(dir, 'sizes.tsv'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([image = '', size = '0']) => [image, Number(size)] as const),
  );
  return {
    servicesArchive: join(dir, 'services.tar'),
    workerArchive: join(dir, 'worker.tar'),
    tag,
    sizes,
    seconds: (Date.now() - started) / 1000,
  };
}

/** A PEM key pair: private as PKCS#8 (what the services and SDKs read), public as SPKI. */
export function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** kubectl against one cluster, throwing with stderr on failure; returns stdout. */
export function kubectlOf(
  tools: KubeTools,
  cluster: KubeCluster,
): (args: readonly string[], input?: string) => Promise<string> {
  return (args, input) =>
    runOk(
      tools.kubectl,
      ['--kubeconfig', cluster.kubeconfigPath, ...args],
      input === undefined ? {} : { input },
    );
}

/** Labels of the real node that holds the chart's services and the portal VMs. */
export const SYSTEM_NODE_LABELS = {
  // The chart's nodeSelector key with a value of its own: the KWOK system nodes do not match it,
  // and charts other test files install at the same time (node-group=system) stay off this node.
  'lzy.ai/node-group': 'e2e-system',
  'lzy.ai/node-pool-label': 'portals',
  'lzy.ai/node-pool-az': 'real',
  'lzy.ai/node-pool-state': 'ACTIVE',
} as const;
/** Labels of the real node for worker VMs (pool `s`). */
export const WORKER_NODE_LABELS = {
  'lzy.ai/node-pool-label': 's',
  'lzy.ai/node-pool-az': 'real',
  'lzy.ai/node-pool-state': 'ACTIVE',
} as const;

const SERVICES = [
  'iam',
  'storage',
  'channel-manager',
  'allocator',
  'scheduler',
  'graph-executor',
  'whiteboard',
  'lzy-service',
  'site',
] as const;

export interface E2eValues {
  readonly tag: string;
  readonly database: { readonly host: string; readonly port: number };
  readonly s3Endpoint: string;
}

/**
 * Chart values of the end-to-end install: the images of this run (never pulled), the services
 * on the system real node (node group `e2e-system`; VM pools in zone `real`: no KWOK node
 * matches either), VM pods on the bridge network
 * (no host ports on a shared machine), VMs sharing nodes (pool `s`: twenty at most on the one worker
 * node) and small CPU requests (two cores hold everything).
 */
export async function writeE2eValues(path: string, v: E2eValues): Promise<string> {
  const small = {
    resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '768Mi' } },
  };
  const values = {
    image: { registry: 'localhost', tag: v.tag, pullPolicy: 'Never' },
    nodeSelector: { 'lzy.ai/node-group': 'e2e-system' },
    database: {
      host: v.database.host,
      port: v.database.port,
      sslMode: 'disable',
      user: 'postgres',
    },
    s3: { endpoint: v.s3Endpoint },
    // Nine Node processes start at once on two shared cores: slow answers are not deaths.
    probes: {
      liveness: {
        initialDelaySeconds: 30,
        periodSeconds: 10,
        timeoutSeconds: 10,
        failureThreshold: 6,
      },
      readiness: {
        initialDelaySeconds: 0,
        periodSeconds: 3,
        timeoutSeconds: 10,
        failureThreshold: 3,
      },
    },
    allocator: {
      hostNetwork: false,
      // Two nodes for everything: VMs share them (no LZY one-VM-per-node isolation).
      exclusiveNodes: false,
      pools: [
        {
          label: 's',
          cluster_type: 'WORKER',
          cpu_count: 2,
          ram_gb: 2,
          zones: ['real'],
          max_vms: 20,
        },
        {
          label: 'portals',
          cluster_type: 'SYSTEM',
          cpu_count: 1,
          ram_gb: 1,
          zones: ['real'],
          max_vms: 2,
        },
      ],
    },
    services: {
      ...Object.fromEntries(SERVICES.map((s) => [s, small])),
      // Idle worker VMs go after 2 min (default 10): long enough for every consumer to read its
      // producers' outputs from the producers (a reaped producer's consumer fails with rc 98 on
      // Kubernetes today instead of reading the S3 copy; reported), short enough for the run.
      scheduler: { ...small, env: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: '120000' } },
      // VM pods request nothing: twenty workers and portals share two cores with the services.
      // A worker pod starting among twenty on two loaded cores may take minutes to register.
      allocator: {
        ...small,
        env: {
          LZY_ALLOCATOR_KUBE_REQUEST_PERCENT: '0',
          LZY_ALLOCATOR_ALLOCATION_TIMEOUT_MS: '300000',
        },
      },
    },
  };
  await writeFile(path, JSON.stringify(values, null, 2));
  return path;
}

/** The databases the chart's services expect (values database.databasePrefix `lzy_`). */
export const SERVICE_DATABASES = SERVICES.filter((s) => s !== 'site').map(
  (s) => `lzy_${s.replaceAll('-', '_')}`,
);
export const DB_PASSWORD_KEYS = SERVICES.filter((s) => s !== 'site').map((s) => `${s}-password`);

interface PodList {
  readonly items: readonly {
    readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
    readonly spec: { readonly nodeName?: string };
    readonly status: {
      readonly phase: string;
      readonly containerStatuses?: readonly { readonly ready: boolean }[];
    };
  }[];
}

/** Pods of a namespace (optionally by label selector). */
export async function listPods(
  kubectl: ReturnType<typeof kubectlOf>,
  ns: string,
  selector?: string,
): Promise<PodList['items']> {
  const args = ['-n', ns, 'get', 'pods', '-o', 'json', ...(selector ? ['-l', selector] : [])];
  return (JSON.parse(await kubectl(args)) as PodList).items;
}

/**
 * For the crash-safety test of issue 12 (task retries, not built yet): waits until a worker VM
 * pod of `ns` is Running and its op has started (its log shows `marker`), then deletes it at
 * once (`--grace-period=0 --force`), as a node loss would. @returns the pod's name.
 */
export async function killWorkerPodMidOp(
  kubectl: ReturnType<typeof kubectlOf>,
  ns: string,
  marker: string,
  timeoutMs = 120_000,
): Promise<string> {
  const name = await pollUntil(
    async () => {
      const pods = await listPods(kubectl, ns, 'lzy.ai/cluster-type=worker');
      for (const pod of pods.filter((p) => p.status.phase === 'Running')) {
        const log = await kubectl(['-n', ns, 'logs', pod.metadata.name]).catch(() => '');
        if (log.includes(marker)) return pod.metadata.name;
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 250, description: `a worker pod of ${ns} printing '${marker}'` },
  );
  await kubectl(['-n', ns, 'delete', 'pod', name, '--grace-period=0', '--force']);
  return name;
}
