import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startCluster, stopClusters, type KubeCluster } from './kube-cluster.ts';
import { readTestPools } from './kube-nodes.ts';
import { kubeTools, type KubeTools } from './kube-tools.ts';

export type { KubeCluster } from './kube-cluster.ts';
export {
  GPU_TAINT,
  poolNodeName,
  readTestPools,
  TEST_POOLS_PATH,
  type TestPool,
} from './kube-nodes.ts';
export { K8S_VERSION, kubeTools, type KubeTools } from './kube-tools.ts';
export type { ClusterDns } from './kube-dns.ts';
export {
  realNodeUnavailable,
  startRealNodes,
  type RealNodes,
  type RealNodeSpec,
  type StartRealNodesOptions,
} from './kube-node.ts';

/** The two test clusters and the tools; plain data, provided by the global setup to test files. */
export interface TestKubernetes {
  readonly worker: KubeCluster;
  readonly system: KubeCluster;
  readonly tools: KubeTools;
}

/** What the global setup provides as `kubernetes`: the clusters, or why there are none. */
export type ProvidedKubernetes = TestKubernetes | { readonly unavailable: string };

/** Options of {@link startKubernetes}. */
export interface StartKubernetesOptions {
  /** Keep everything (kubeconfigs, logs, etcd data, pids) here; default a temp dir removed on stop. */
  readonly dir?: string;
  /** Start the processes in their own process group so they outlive this process (start.sh). */
  readonly detached?: boolean;
}

/**
 * Starts the worker and the system cluster in parallel (each: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, KWOK with the nodes of scripts/k8s/test-pools.json) on
 * loopback, writes `<dir>/clusters.json`, and resolves when every node is Ready. `stop()` stops
 * every process (apiserver before etcd) and removes a temp dir. A failed start stops what started.
 */
export async function startKubernetes(
  opts: StartKubernetesOptions = {},
): Promise<TestKubernetes & { stop(): Promise<void> }> {
  const tools = kubeTools();
  const temporary = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'lzy-kube-')));
  await mkdir(dir, { recursive: true });
  const cleanup = async (): Promise<void> => {
    await stopClusters(dir);
    if (temporary) await rm(dir, { recursive: true, force: true });
  };
  try {
    const pools = await readTestPools();
    const common = { dir, binDir: tools.binDir, pools, detached: opts.detached ?? false };
    const [worker, system] = await Promise.allSettled([
      startCluster({ ...common, name: 'worker' }),
      startCluster({ ...common, name: 'system' }),
    ]).then((results) =>
      results.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      }),
    );
    if (worker === undefined || system === undefined) throw new Error('unreachable');
    const kube: TestKubernetes = { worker, system, tools };
    await writeFile(join(dir, 'clusters.json'), `${JSON.stringify(kube, null, 2)}\n`);
    let stopping: Promise<void> | undefined;
    return { ...kube, stop: () => (stopping ??= cleanup()) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Stops the clusters `startKubernetes({ dir })` (or scripts/k8s/start.sh) left running in `dir`. */
export function stopKubernetes(dir: string): Promise<void> {
  return stopClusters(dir);
}

/**
 * In a vitest integration file: the two clusters the global setup started once for the run.
 * Throws (failing the file loudly) when they could not be started, e.g. "Kubernetes test binaries
 * missing: run bash scripts/k8s/build.sh". Tests make their own namespace per file.
 */
export function useKubernetes(): TestKubernetes {
  const provided = inject('kubernetes');
  if (provided === undefined) {
    throw new Error('no Kubernetes clusters: run the test in the vitest `integration` project');
  }
  if ('unavailable' in provided) throw new Error(provided.unavailable);
  return provided;
}
