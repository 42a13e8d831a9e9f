import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { freePort, pollUntil } from '@lzy/testing';
import type { TestKubernetes } from '@lzy/testing';
import { vmPodName } from '../../src/kube/kube-names.ts';
import { startTestAllocator } from '../harness.ts';
import type { BackendHarness } from './allocator-contract.ts';

export type ClusterName = 'worker' | 'system';
export const CLUSTERS: readonly ClusterName[] = ['worker', 'system'];

/** Admin clients of both test clusters and this file's namespace (in both). */
export interface KubeTestNamespace {
  readonly name: string;
  readonly core: Readonly<Record<ClusterName, CoreV1Api>>;
}

const TEST_POOLS = fileURLToPath(
  new URL('../../../../scripts/k8s/test-pools.json', import.meta.url),
);

/** A pool whose label no node carries: its pods are never schedulable. */
export const NODELESS_POOL = { label: 'xl', cluster_type: 'WORKER', cpu_count: 64, ram_gb: 256 };

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

/** A fresh namespace in both clusters for this test file (created before, deleted after). */
export function useKubeNamespace(kube: TestKubernetes): KubeTestNamespace {
  const name = `lzy-alloc-${randomBytes(4).toString('hex')}`;
  const client = (path: string) => {
    const config = new KubeConfig();
    config.loadFromFile(path);
    return config.makeApiClient(CoreV1Api);
  };
  const core = {
    worker: client(kube.worker.kubeconfigPath),
    system: client(kube.system.kubeconfigPath),
  };
  beforeAll(async () => {
    for (const cluster of CLUSTERS) {
      await core[cluster].createNamespace({ body: { metadata: { name } } });
    }
  });
  afterAll(async () => {
    for (const cluster of CLUSTERS) {
      await core[cluster].deleteNamespace({ name }).catch(() => undefined);
    }
  });
  return { name, core };
}

/** The VM's pod and the cluster it is in, or undefined. */
export async function findVmPod(
  ns: KubeTestNamespace,
  vmId: string,
): Promise<{ pod: V1Pod; cluster: ClusterName } | undefined> {
  for (const cluster of CLUSTERS) {
    try {
      const pod = await ns.core[cluster].readNamespacedPod({
        name: vmPodName(vmId),
        namespace: ns.name,
      });
      return { pod, cluster };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return undefined;
}

/**
 * The backend over the two test clusters: allocator env for Kubernetes (kubeconfigs, namespace,
 * the test pools plus NODELESS_POOL). Pods never run on KWOK, so the test plays each VM from the
 * pod's env and Secret.
 */
export function kubeHarness(opts: {
  kube: TestKubernetes;
  ns: KubeTestNamespace;
  dbUrl: () => string;
}): BackendHarness {
  const { kube, ns } = opts;
  return {
    async start(env = {}) {
      const pools = JSON.parse(await readFile(TEST_POOLS, 'utf8')) as unknown[];
      const port = await freePort();
      return startTestAllocator(opts.dbUrl(), {
        LZY_PORT: String(port),
        LZY_ALLOCATOR_ADVERTISED_ADDRESS: `127.0.0.1:${port}`,
        LZY_ALLOCATOR_BACKEND: 'kubernetes',
        LZY_ALLOCATOR_KUBECONFIG_WORKER: kube.worker.kubeconfigPath,
        LZY_ALLOCATOR_KUBECONFIG_SYSTEM: kube.system.kubeconfigPath,
        LZY_ALLOCATOR_KUBE_NAMESPACE: ns.name,
        LZY_ALLOCATOR_WORKER_IMAGE: 'lzy-ts/worker:test',
        LZY_ALLOCATOR_PORTAL_IMAGE: 'lzy-ts/portal:test',
        LZY_ALLOCATOR_POOLS: JSON.stringify([...pools, NODELESS_POOL]),
        LZY_ALLOCATOR_KILL_GRACE_MS: '1000',
        ...env,
      });
    },
    workloads: () => [],
    async vmEnv(vmId) {
      const found = await findVmPod(ns, vmId);
      if (found === undefined) throw new Error(`VM ${vmId} has no pod yet`);
      const { pod, cluster } = found;
      const env: Record<string, string> = {};
      for (const v of pod.spec?.containers[0]?.env ?? []) {
        const secretRef = v.valueFrom?.secretKeyRef;
        if (secretRef !== undefined) {
          const secret = await ns.core[cluster].readNamespacedSecret({
            name: secretRef.name ?? '',
            namespace: ns.name,
          });
          const data = secret.data?.[secretRef.key];
          if (data !== undefined) env[v.name] = Buffer.from(data, 'base64').toString('utf8');
        } else if (v.valueFrom?.fieldRef?.fieldPath === 'status.podIP') {
          env[v.name] = pod.status?.podIP ?? '';
        } else if (v.value !== undefined) {
          env[v.name] = v.value;
        }
      }
      return env;
    },
    exists: async (vmId) => (await findVmPod(ns, vmId)) !== undefined,
    async killUnderneath(vmId) {
      const found = await findVmPod(ns, vmId);
      if (found === undefined) throw new Error(`VM ${vmId} has no pod`);
      await ns.core[found.cluster].deleteNamespacedPod({
        name: found.pod.metadata?.name ?? '',
        namespace: ns.name,
        gracePeriodSeconds: 0,
      });
    },
    killedReason: /pod lzy-vm-\S+ was deleted/,
    cleanup: () => deleteVmPods(ns),
  };
}

/** Deletes every pod and Secret of the namespace (both clusters) and waits for the pods to go. */
export async function deleteVmPods(ns: KubeTestNamespace): Promise<void> {
  for (const cluster of CLUSTERS) {
    const core = ns.core[cluster];
    await core.deleteCollectionNamespacedPod({ namespace: ns.name, gracePeriodSeconds: 0 });
    await core.deleteCollectionNamespacedSecret({ namespace: ns.name });
    await pollUntil(
      async () =>
        (await core.listNamespacedPod({ namespace: ns.name })).items.length === 0
          ? true
          : undefined,
      { timeoutMs: 30_000, description: `no pods left in ${ns.name} (${cluster})` },
    );
  }
}
