import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1Pod,
  V1ResourceRequirements,
  V1Secret,
  V1Volume,
} from '@kubernetes/client-node';
import { allocator } from '@lzy/proto';
import type { VmLaunch } from '../domain/ports.ts';
import type { Workload } from '../domain/vm.ts';
import {
  LABEL,
  NODE_LABEL,
  VM_ID_ANNOTATION,
  dnsLabel,
  tenantOf,
  vmPodName,
  vmSecretName,
} from './kube-names.ts';

/** How VM pods are built (config, LZY_ALLOCATOR_* variables). */
export interface VmPodSettings {
  readonly namespace: string;
  /** Image of a VM without workloads, and of a workload without image. */
  readonly defaultImage: string;
  readonly hostNetwork: boolean;
  /** CPU/memory requests in percent of the pool shape; limits are the whole shape. */
  readonly requestPercent: number;
  /** LZY's anti-affinity (one VM per node, one tenant per node); false: none. */
  readonly exclusiveNodes: boolean;
  readonly heartbeatPeriodMs: number;
  readonly terminationGraceSeconds: number;
}

const GPU_RESOURCE = 'nvidia.com/gpu';
const HOSTNAME_TOPOLOGY = 'kubernetes.io/hostname';
const SECRET_KEYS = ['LZY_VM_OTT', 'LZY_VM_PRIVATE_KEY'] as const;
const PROPAGATION: Record<allocator.MountPropagation, string | undefined> = {
  [allocator.MountPropagation.MOUNT_PROPAGATION_UNSPECIFIED]: undefined,
  [allocator.MountPropagation.MOUNT_PROPAGATION_HOST_TO_CONTAINER]: 'HostToContainer',
  [allocator.MountPropagation.MOUNT_PROPAGATION_BIDIRECTIONAL]: 'Bidirectional',
  [allocator.MountPropagation.UNRECOGNIZED]: undefined,
};

/** Labels of the VM's pod and Secret. */
export function vmLabels(launch: VmLaunch): Record<string, string> {
  return {
    [LABEL.name]: 'lzy-vm',
    [LABEL.partOf]: 'lzy',
    [LABEL.app]: 'vm',
    [LABEL.podName]: vmPodName(launch.id),
    [LABEL.sessionId]: dnsLabel('', launch.sessionId),
    [LABEL.vmId]: dnsLabel('', launch.id),
    [LABEL.tenant]: tenantOf(launch.sessionOwner),
    [LABEL.clusterType]: launch.clusterType.toLowerCase(),
  };
}

/** The VM's credentials (register token, private key), referenced by the pod's env. */
export function vmSecret(launch: VmLaunch, settings: VmPodSettings): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: vmSecretName(launch.id),
      namespace: settings.namespace,
      labels: vmLabels(launch),
      annotations: { [VM_ID_ANNOTATION]: launch.id },
    },
    type: 'Opaque',
    stringData: { ...launch.secretEnv },
  };
}

/**
 * The VM pod (reference §3.6, PodSpecBuilder): pinned to its pool's ACTIVE nodes in its zone,
 * one VM per node and no pod of another tenant on it, GPU taint tolerated, resources from the
 * pool shape, never restarted (a dead VM is replaced by a new allocation).
 */
export function vmPod(launch: VmLaunch, settings: VmPodSettings): V1Pod {
  const workloads =
    launch.spec.workloads.length > 0 ? launch.spec.workloads : [defaultWorkload(launch)];
  const containers = workloads.map((w, i) =>
    container(w, launch, settings, { main: true, resources: i === 0 }),
  );
  const initContainers = launch.spec.initWorkloads.map((w) =>
    container(w, launch, settings, { main: false, resources: false }),
  );
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: vmPodName(launch.id),
      namespace: settings.namespace,
      labels: vmLabels(launch),
      annotations: {
        [VM_ID_ANNOTATION]: launch.id,
        'lzy.ai/session-id': launch.sessionId,
        'lzy.ai/pool': launch.pool.label,
      },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: settings.hostNetwork,
      dnsPolicy: settings.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      terminationGracePeriodSeconds: settings.terminationGraceSeconds,
      nodeSelector: {
        [NODE_LABEL.pool]: launch.pool.label,
        [NODE_LABEL.zone]: launch.zone,
        [NODE_LABEL.state]: 'ACTIVE',
      },
      tolerations: [
        { key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
        ...(launch.pool.gpuCount > 0
          ? [{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }]
          : []),
      ],
      ...(settings.exclusiveNodes ? { affinity: antiAffinity(tenantOf(launch.sessionOwner)) } : {}),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers,
      volumes: launch.spec.volumes.map(toVolume),
    },
  };
}

function defaultWorkload(launch: VmLaunch): Workload {
  const name = launch.clusterType === 'WORKER' ? 'worker' : 'portal';
  return { name, image: '', env: {}, args: [], ports: [], volumeMounts: [] };
}

/**
 * LZY's two rules (reference §3.6), both required, per node: no other VM pod, and no pod of
 * another tenant. Evaluated among the pods of the VM namespace (VMs live only there); the
 * tenant rule selects only pods that carry the tenant label (NotIn alone matches unlabelled
 * pods too).
 */
function antiAffinity(tenant: string): V1Affinity {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          topologyKey: HOSTNAME_TOPOLOGY,
          labelSelector: { matchExpressions: [{ key: LABEL.app, operator: 'In', values: ['vm'] }] },
        },
        {
          topologyKey: HOSTNAME_TOPOLOGY,
          labelSelector: {
            matchExpressions: [
              { key: LABEL.tenant, operator: 'Exists' },
              { key: LABEL.tenant, operator: 'NotIn', values: [tenant] },
            ],
          },
        },
      ],
    },
  };
}

function container(
  workload: Workload,
  launch: VmLaunch,
  settings: VmPodSettings,
  role: { main: boolean; resources: boolean },
): V1Container {
  const mounts = workload.volumeMounts.map((m) => allocator.VolumeMount.fromJSON(m));
  const bidirectional = mounts.some(
    (m) => m.mountPropagation === allocator.MountPropagation.MOUNT_PROPAGATION_BIDIRECTIONAL,
  );
  return {
    name: workload.name,
    image: workload.image || settings.defaultImage,
    args: [...workload.args],
    env: containerEnv(workload, launch, settings, role.main),
    ports: workload.ports.map((p) => {
      const binding = allocator.PortBinding.fromJSON(p);
      const hostPort = settings.hostNetwork ? binding.containerPort : binding.hostPort;
      return { containerPort: binding.containerPort, ...(hostPort > 0 ? { hostPort } : {}) };
    }),
    volumeMounts: mounts.map((m) => {
      const propagation = PROPAGATION[m.mountPropagation];
      return {
        name: m.volumeName,
        mountPath: m.mountPath,
        readOnly: m.readOnly,
        ...(propagation === undefined ? {} : { mountPropagation: propagation }),
      };
    }),
    // Bidirectional propagation is refused by the API server for unprivileged containers.
    ...(bidirectional ? { securityContext: { privileged: true } } : {}),
    ...(role.resources ? { resources: resources(launch, settings.requestPercent) } : {}),
  };
}

/**
 * The VM variables (allocator address, VM id, heartbeat period, pod and node IP through the
 * downward API) with the workload's own env; the credentials come from the VM's Secret and only
 * main containers get them (init containers do not register).
 */
function containerEnv(
  workload: Workload,
  launch: VmLaunch,
  settings: VmPodSettings,
  main: boolean,
): V1EnvVar[] {
  const plain: Record<string, string> = {
    ...launch.env,
    ...workload.env,
    // Serve on every address of the pod; advertise the pod IP (declared first, $(…) expands it).
    LZY_HOST: '0.0.0.0',
    LZY_WORKER_ADVERTISED_HOST: '$(LZY_VM_IP_ADDRESS)',
    LZY_ADVERTISED_HOST: '$(LZY_VM_IP_ADDRESS)',
    LZY_ALLOCATOR_HEARTBEAT_PERIOD_MS: String(settings.heartbeatPeriodMs),
    LZY_VM_ID: launch.id,
  };
  const secretName = vmSecretName(launch.id);
  return [
    { name: 'LZY_VM_IP_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'LZY_VM_NODE_IP_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
    ...Object.entries(plain).map(([name, value]) => ({ name, value })),
    ...(main
      ? SECRET_KEYS.map((key) => ({
          name: key,
          valueFrom: { secretKeyRef: { name: secretName, key } },
        }))
      : []),
  ];
}

function resources(launch: VmLaunch, requestPercent: number): V1ResourceRequirements {
  const { cpuCount, ramGb, gpuCount } = launch.pool;
  const gpu: Record<string, string> = gpuCount > 0 ? { [GPU_RESOURCE]: String(gpuCount) } : {};
  const limits = { cpu: String(cpuCount), memory: `${ramGb}Gi`, ...gpu };
  // Always explicit: a container with limits and no requests gets requests = limits.
  const requests: Record<string, string> = {
    cpu: `${Math.floor((cpuCount * 1000 * requestPercent) / 100)}m`,
    memory: `${Math.floor((ramGb * 1024 * requestPercent) / 100)}Mi`,
    ...gpu,
  };
  return { limits, requests };
}

function toVolume(json: unknown): V1Volume {
  const volume = allocator.Volume.fromJSON(json);
  switch (volume.source?.$case) {
    case 'hostPath':
      return { name: volume.name, hostPath: { path: volume.source.value.path } };
    case 'emptyDir': {
      const bytes = volume.source.value.sizeLimitBytes;
      return { name: volume.name, emptyDir: bytes > 0 ? { sizeLimit: String(bytes) } : {} };
    }
    case undefined:
      return { name: volume.name, emptyDir: {} };
  }
}
