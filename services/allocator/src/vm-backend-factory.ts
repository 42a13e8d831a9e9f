import { fileURLToPath } from 'node:url';
import type { Logger } from '@lzy/logging';
import type { AllocatorConfig } from './config.ts';
import type { VmBackend } from './domain/ports.ts';
import { heartbeatPeriodOf } from './domain/vm-agent-gate.ts';
import { KubeBackend } from './kube/kube-backend.ts';
import { connectCluster } from './kube/kube-client.ts';
import { LocalProcessBackend } from './local/local-process-backend.ts';

const STANDBY_ENTRY = fileURLToPath(new URL('./local/vm-standby-main.ts', import.meta.url));

/**
 * The backend LZY_ALLOCATOR_BACKEND names. No I/O: kubeconfigs are read here, the API servers
 * are first called at recovery.
 * @throws Error when a cluster has neither a kubeconfig nor in-cluster credentials.
 */
export function createVmBackend(config: AllocatorConfig, log: Logger): VmBackend {
  if (config.backend === 'local') {
    const { local } = config;
    const clusterTypes = new Set(config.pools.map((pool) => pool.clusterType));
    return new LocalProcessBackend({
      log,
      killGraceMs: config.killGraceMs,
      logDir: local.logDir,
      inheritedEnv: local.inheritedEnv,
      mains: { worker: local.workerMain, portal: local.portalMain },
      standby: {
        entry: STANDBY_ENTRY,
        // A standby of each entry point the pools use (the workload-less default of their
        // type), a portal's first: StartWorkflow needs it before its first op needs a worker.
        mains: [
          ...new Set([
            ...(clusterTypes.has('SYSTEM') ? [local.portalMain] : []),
            ...(clusterTypes.has('WORKER') ? [local.workerMain] : []),
          ]),
        ],
        perMain: local.standbyVms,
        refillDelayMs: local.standbyRefillDelayMs,
      },
      compileCacheDir: local.compileCacheDir,
    });
  }
  const { kube } = config;
  return new KubeBackend({
    clusters: {
      WORKER: connectCluster(kube.kubeconfigs.WORKER, 'WORKER'),
      SYSTEM: connectCluster(kube.kubeconfigs.SYSTEM, 'SYSTEM'),
    },
    namespace: kube.namespace,
    images: kube.images,
    hostNetwork: kube.hostNetwork,
    requestPercent: kube.requestPercent,
    exclusiveNodes: kube.exclusiveNodes,
    podPolicy: kube.podPolicy,
    heartbeatPeriodMs: heartbeatPeriodOf(config.heartbeatTimeoutMs),
    killGraceMs: config.killGraceMs,
    unschedulableDeadlineMs: kube.unschedulableDeadlineMs,
    log,
  });
}
