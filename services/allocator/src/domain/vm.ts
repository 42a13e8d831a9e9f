/** Which kind of cluster hosts a VM; LZY's `USER` cluster is WORKER here. */
export type ClusterType = 'WORKER' | 'SYSTEM';

/** reference §3.4: ALLOCATING → RUNNING ⇄ IDLE; any → DELETING → DEAD (final). */
/** QUEUED: allocated while its pool was full; launched once a VM of the pool is gone. */
export type VmStatus = 'QUEUED' | 'ALLOCATING' | 'RUNNING' | 'IDLE' | 'DELETING' | 'DEAD';

export type VmEndpointType = 'HOST_NAME' | 'INTERNAL_IP' | 'EXTERNAL_IP';

export interface VmEndpoint {
  readonly type: VmEndpointType;
  readonly value: string;
}

/** One process (container in Kubernetes) of a VM, as requested in Allocate. */
export interface Workload {
  readonly name: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly args: readonly string[];
  /** Port bindings and volume mounts as requested (opaque here; part of the cache key). */
  readonly ports: readonly unknown[];
  readonly volumeMounts: readonly unknown[];
}

/** What a VM runs; the cache only reuses a VM whose spec is identical (`specKey`). */
export interface VmSpec {
  readonly initWorkloads: readonly Workload[];
  readonly workloads: readonly Workload[];
  /** Volumes as requested (opaque here: the local backend has no volumes). */
  readonly volumes: readonly unknown[];
}

export interface Vm {
  readonly id: string;
  readonly sessionId: string;
  readonly poolLabel: string;
  readonly zone: string;
  readonly clusterType: ClusterType;
  readonly status: VmStatus;
  readonly endpoints: readonly VmEndpoint[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly allocationOperationId: string;
  readonly createdAt: Date;
  readonly statusChangedAt: Date;
  /** Why it is DELETING or DEAD ('' while alive). */
  readonly deleteReason: string;
}

export interface Session {
  readonly id: string;
  readonly owner: string;
  /**
   * The user whose work the session's VMs do; iam records it as the owner of each VM's subject.
   * '' if none (its VMs pass no owner check).
   */
  readonly ownerUserId: string;
  readonly description: string;
  readonly idleTimeoutMs: number;
  /** Subject that created the session: only it (or the internal identity) may use its VMs. */
  readonly createdBy: string;
}

/** Canonical JSON of a spec: keys sorted, so equal specs give equal strings (cache match). */
export function specKey(spec: VmSpec): string {
  return JSON.stringify(spec, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = (value as Record<string, unknown>)[key];
    }
    return sorted;
  });
}
