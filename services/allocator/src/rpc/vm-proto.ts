import { InvalidArgument } from '@lzy/errors';
import { allocator } from '@lzy/proto';
import { toProtoEndpoints } from '../domain/allocation-payloads.ts';
import type { VmPoolSpec } from '../domain/vm-pool.ts';
import type { ClusterType, Vm, VmEndpoint, VmStatus, Workload } from '../domain/vm.ts';

const { ClusterType: PC, VmStatus: PS, VmEndpointType: PE } = allocator;

/** UNSPECIFIED → undefined (any cluster). @throws InvalidArgument for unknown values. */
export function fromProtoClusterType(value: allocator.ClusterType): ClusterType | undefined {
  switch (value) {
    case PC.CLUSTER_TYPE_UNSPECIFIED:
      return undefined;
    case PC.CLUSTER_TYPE_WORKER:
      return 'WORKER';
    case PC.CLUSTER_TYPE_SYSTEM:
      return 'SYSTEM';
    case PC.UNRECOGNIZED:
    default:
      throw new InvalidArgument(`Unknown cluster_type ${value}`);
  }
}

export function toProtoClusterType(value: ClusterType): allocator.ClusterType {
  return value === 'WORKER' ? PC.CLUSTER_TYPE_WORKER : PC.CLUSTER_TYPE_SYSTEM;
}

const STATUS: Record<VmStatus, allocator.VmStatus> = {
  QUEUED: PS.VM_STATUS_QUEUED,
  ALLOCATING: PS.VM_STATUS_ALLOCATING,
  RUNNING: PS.VM_STATUS_RUNNING,
  IDLE: PS.VM_STATUS_IDLE,
  DELETING: PS.VM_STATUS_DELETING,
  DEAD: PS.VM_STATUS_DEAD,
};

export function toProtoVm(vm: Vm): allocator.Vm {
  return {
    id: vm.id,
    sessionId: vm.sessionId,
    poolLabel: vm.poolLabel,
    zone: vm.zone,
    clusterType: toProtoClusterType(vm.clusterType),
    status: STATUS[vm.status],
    endpoints: toProtoEndpoints(vm.endpoints),
    metadata: { ...vm.metadata },
    allocationOperationId: vm.allocationOperationId,
    createdAt: vm.createdAt,
    statusChangedAt: vm.statusChangedAt,
    deleteReason: vm.deleteReason,
  };
}

export function toProtoPool(pool: VmPoolSpec): allocator.VmPool {
  return {
    label: pool.label,
    clusterType: toProtoClusterType(pool.clusterType),
    cpuType: pool.cpuType,
    cpuCount: pool.cpuCount,
    gpuType: pool.gpuType,
    gpuCount: pool.gpuCount,
    ramGb: pool.ramGb,
    zones: [...pool.zones],
    maxVms: pool.maxVms,
  };
}

/** @throws InvalidArgument for an endpoint without type or value. */
export function fromProtoEndpoints(endpoints: readonly allocator.VmEndpoint[]): VmEndpoint[] {
  return endpoints.map((e) => {
    const type =
      e.type === PE.VM_ENDPOINT_TYPE_HOST_NAME
        ? 'HOST_NAME'
        : e.type === PE.VM_ENDPOINT_TYPE_INTERNAL_IP
          ? 'INTERNAL_IP'
          : e.type === PE.VM_ENDPOINT_TYPE_EXTERNAL_IP
            ? 'EXTERNAL_IP'
            : undefined;
    if (type === undefined || e.value === '') {
      throw new InvalidArgument('Each endpoint needs a type and a value');
    }
    return { type, value: e.value };
  });
}

export function fromProtoWorkloads(workloads: readonly allocator.Workload[]): Workload[] {
  return workloads.map((w) => ({
    name: w.name,
    image: w.image,
    env: { ...w.env },
    args: [...w.args],
    ports: w.ports.map((p) => allocator.PortBinding.toJSON(p)),
    volumeMounts: w.volumeMounts.map((m) => allocator.VolumeMount.toJSON(m)),
  }));
}

/** Volumes in their proto JSON form (compared for cache reuse; unused by the local backend). */
export function fromProtoVolumes(volumes: readonly allocator.Volume[]): unknown[] {
  return volumes.map((v) => allocator.Volume.toJSON(v));
}
