import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** One entry of scripts/k8s/test-pools.json: LZY_ALLOCATOR_POOLS format plus a node count. */
export interface TestPool {
  readonly label: string;
  readonly cluster_type: 'WORKER' | 'SYSTEM';
  readonly cpu_count: number;
  readonly ram_gb: number;
  readonly gpu_type?: string;
  readonly gpu_count?: number;
  readonly zones: readonly string[];
  /** KWOK nodes per zone. */
  readonly nodes: number;
}

/** scripts/k8s/test-pools.json (the pools the test clusters' KWOK nodes are made for). */
export const TEST_POOLS_PATH = fileURLToPath(
  new URL('../../../scripts/k8s/test-pools.json', import.meta.url),
);

export async function readTestPools(path = TEST_POOLS_PATH): Promise<TestPool[]> {
  const pools = JSON.parse(await readFile(path, 'utf8')) as TestPool[];
  if (!Array.isArray(pools)) throw new Error(`${path}: expected an array of pools`);
  return pools;
}

/** The taint GPU nodes carry (LZY's); VM pods for GPU pools tolerate it. */
export const GPU_TAINT = { key: 'sku', value: 'gpu', effect: 'NoSchedule' } as const;
/** Nodes in the system cluster where the Helm chart's services run. */
export const SYSTEM_NODE_COUNT = 3;
/** KWOK manages exactly the nodes with this annotation. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** Name of the i-th (from 0) node of `pool` in `zone`, e.g. `lzy-pool-s-local-0`. */
export function poolNodeName(pool: string, zone: string, i: number): string {
  return `lzy-pool-${pool}-${zone}-${i}`;
}

/** A Node manifest KWOK will manage (capacity = allocatable; status is kept on create). */
function kwokNode(
  name: string,
  labels: Record<string, string>,
  resources: Record<string, string>,
  taints: readonly object[],
): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
      labels: {
        ...labels,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: { taints },
    status: { capacity: resources, allocatable: resources },
  };
}

/** The nodes of one cluster: its pools' nodes, plus the `lzy-system-<i>` nodes in the system one. */
export function clusterNodes(cluster: 'worker' | 'system', pools: readonly TestPool[]): object[] {
  const type = cluster === 'worker' ? 'WORKER' : 'SYSTEM';
  const nodes: object[] = [];
  for (const pool of pools.filter((p) => p.cluster_type === type)) {
    const gpus = pool.gpu_count ?? 0;
    const resources: Record<string, string> = {
      cpu: String(pool.cpu_count),
      memory: `${pool.ram_gb}Gi`,
      pods: '110',
      'ephemeral-storage': '100Gi',
      ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}),
    };
    for (const zone of pool.zones) {
      for (let i = 0; i < pool.nodes; i++) {
        const labels = {
          'lzy.ai/node-pool-label': pool.label,
          'lzy.ai/node-pool-az': zone,
          'lzy.ai/node-pool-state': 'ACTIVE',
          'topology.kubernetes.io/zone': zone,
        };
        const name = poolNodeName(pool.label, zone, i);
        nodes.push(kwokNode(name, labels, resources, gpus > 0 ? [GPU_TAINT] : []));
      }
    }
  }
  if (cluster === 'system') {
    const resources = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    for (let i = 0; i < SYSTEM_NODE_COUNT; i++) {
      nodes.push(kwokNode(`lzy-system-${i}`, { 'lzy.ai/node-group': 'system' }, resources, []));
    }
  }
  return nodes;
}
