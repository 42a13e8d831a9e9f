import {
  CoreV1Api,
  KubeConfig,
  VersionApi,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GPU_TAINT,
  K8S_VERSION,
  pollUntil,
  poolNodeName,
  readTestPools,
  useKubernetes,
  type KubeCluster,
  type TestPool,
} from '../src/index.ts';

const kube = useKubernetes();

function kubeConfig(cluster: KubeCluster): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfigPath);
  return config;
}

const core = {
  worker: kubeConfig(kube.worker).makeApiClient(CoreV1Api),
  system: kubeConfig(kube.system).makeApiClient(CoreV1Api),
};
const namespace = `lzy-test-${randomBytes(4).toString('hex')}`;
let pools: TestPool[];

beforeAll(async () => {
  pools = await readTestPools();
  await core.worker.createNamespace({ body: { metadata: { name: namespace } } });
  // The controller manager makes the namespace's default service account; pods need it.
  await pollUntil(() => core.worker.readNamespacedServiceAccount({ name: 'default', namespace }), {
    timeoutMs: 30_000,
    description: `service account default in ${namespace}`,
  });
});

afterAll(async () => {
  await core.worker.deleteNamespace({ name: namespace });
});

describe('test clusters', () => {
  it('both API servers answer /version with the built Kubernetes version', async () => {
    for (const cluster of [kube.worker, kube.system]) {
      expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const version = await kubeConfig(cluster).makeApiClient(VersionApi).getCode();
      expect(version.gitVersion).toBe(`v${K8S_VERSION}`);
      expect(version.minor).toBe(K8S_VERSION.split('.')[1]);
    }
  });

  it('has every pool node of test-pools.json Ready with its labels, capacity and taint', async () => {
    const nodesOf = async (c: 'worker' | 'system'): Promise<Map<string, V1Node>> =>
      new Map((await core[c].listNode()).items.map((n) => [n.metadata?.name ?? '', n]));
    const nodes = { worker: await nodesOf('worker'), system: await nodesOf('system') };
    for (const pool of pools) {
      const inCluster = nodes[pool.cluster_type === 'WORKER' ? 'worker' : 'system'];
      const other = nodes[pool.cluster_type === 'WORKER' ? 'system' : 'worker'];
      for (const zone of pool.zones) {
        for (let i = 0; i < pool.nodes; i++) {
          const name = poolNodeName(pool.label, zone, i);
          expect(other.has(name), `${name} only in its own cluster`).toBe(false);
          const node = inCluster.get(name);
          expect(node, name).toBeDefined();
          expect(node?.metadata?.labels).toMatchObject({
            'lzy.ai/node-pool-label': pool.label,
            'lzy.ai/node-pool-az': zone,
            'lzy.ai/node-pool-state': 'ACTIVE',
            'kubernetes.io/hostname': name,
            type: 'kwok',
          });
          const gpus = pool.gpu_count ?? 0;
          expect(node?.status?.allocatable).toMatchObject({
            cpu: String(pool.cpu_count),
            memory: `${pool.ram_gb}Gi`,
            pods: '110',
            ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}),
          });
          if (gpus === 0) expect(node?.status?.allocatable?.['nvidia.com/gpu']).toBeUndefined();
          expect(node?.spec?.taints ?? []).toEqual(gpus > 0 ? [GPU_TAINT] : []);
          const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
          expect(ready?.status, `${name} Ready`).toBe('True');
        }
      }
    }
    const system = [...nodes.system.values()].filter(
      (n) => n.metadata?.labels?.['lzy.ai/node-group'] === 'system',
    );
    expect(system.map((n) => n.metadata?.name).sort()).toEqual([
      'lzy-system-0',
      'lzy-system-1',
      'lzy-system-2',
    ]);
  });

  it('binds a GPU pod that tolerates sku=gpu to the GPU node, where KWOK runs it', async () => {
    const gpuPool = pools.find((p) => (p.gpu_count ?? 0) > 0);
    if (gpuPool === undefined) throw new Error('test-pools.json has no GPU pool');
    await core.worker.createNamespacedPod({
      namespace,
      body: pod('gpu-op', {
        nodeSelector: { 'lzy.ai/node-pool-label': gpuPool.label },
        tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
        limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' },
      }),
    });
    const running = await waitForPod('gpu-op', (p) => p.status?.phase === 'Running');
    expect(running.spec?.nodeName).toBe(poolNodeName(gpuPool.label, gpuPool.zones[0] ?? '', 0));
    expect(running.status?.podIP).toBeTruthy();
  });

  it('keeps pods without the toleration off the GPU node', async () => {
    await core.worker.createNamespacedPod({
      namespace,
      body: pod('cpu-op', {
        nodeSelector: { 'lzy.ai/node-pool-label': 's' },
        limits: { cpu: '1' },
      }),
    });
    await core.worker.createNamespacedPod({
      namespace,
      body: pod('untolerated', {
        nodeSelector: { 'lzy.ai/node-pool-label': 'gpu' },
        limits: { 'nvidia.com/gpu': '1' },
      }),
    });
    const cpu = await waitForPod('cpu-op', (p) => p.status?.phase === 'Running');
    expect(cpu.spec?.nodeName).toMatch(/^lzy-pool-s-local-\d$/);
    // The scheduler says why it cannot place the pod: the GPU node's taint is not tolerated.
    const pending = await waitForPod('untolerated', (p) =>
      p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
    );
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(pending.status?.phase).toBe('Pending');
    const condition = pending.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(condition?.message).toMatch(/1 node\(s\) had untolerated taint/);
  });
});

function pod(
  name: string,
  opts: {
    nodeSelector: Record<string, string>;
    tolerations?: NonNullable<V1Pod['spec']>['tolerations'];
    limits: Record<string, string>;
  },
): V1Pod {
  return {
    metadata: { name, labels: { app: 'lzy-kube-test' } },
    spec: {
      nodeSelector: opts.nodeSelector,
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      containers: [{ name: 'vm', image: 'lzy/worker:test', resources: { limits: opts.limits } }],
    },
  };
}

function waitForPod(name: string, done: (pod: V1Pod) => boolean | undefined): Promise<V1Pod> {
  return pollUntil(
    async () => {
      const current = await core.worker.readNamespacedPod({ name, namespace });
      return done(current) === true ? current : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, description: `pod ${namespace}/${name}` },
  );
}
