import type { OperationErrorCode } from '@lzy/operations';
import type { VmPoolSpec } from './vm-pool.ts';
import type { ClusterType, VmSpec } from './vm.ts';

/** Issues and revokes the IAM identity of a VM (subject `vm-<vmId>`, type VM, provider INTERNAL). */
export interface VmIdentityIssuer {
  /**
   * Creates the VM's subject with a fresh RSA public key and returns the private half, which the
   * VM gets as LZY_VM_PRIVATE_KEY, recording `ownerUserId` (unless '') as the user the VM works
   * for. Idempotent per vmId (a retry replaces nothing it must keep).
   * @throws Unavailable when IAM cannot be reached.
   */
  issue(vmId: string, ownerUserId: string): Promise<{ privateKeyPem: string }>;
  /** Removes the VM's subject. Idempotent: an unknown subject is fine. */
  revoke(vmId: string): Promise<void>;
}

/** A VM as the backend knows it: its id and the cluster that hosts it. */
export interface VmRef {
  readonly id: string;
  readonly clusterType: ClusterType;
}

/** What the backend needs to start a VM. */
export interface VmLaunch extends VmRef {
  readonly sessionId: string;
  /** The session's owner (`<userId>/<workflowName>` for worker sessions). */
  readonly sessionOwner: string;
  /** The user the VM works for (the session's `ownerUserId`); '' if none. */
  readonly ownerUserId: string;
  readonly pool: VmPoolSpec;
  readonly zone: string;
  /** Workloads, init workloads and volumes as requested in Allocate. */
  readonly spec: VmSpec;
  /** The VM's environment (addresses, LZY_VM_ID, the workloads' own env). */
  readonly env: Readonly<Record<string, string>>;
  /** Credentials (LZY_VM_OTT, LZY_VM_PRIVATE_KEY): a backend keeps them out of plain sight. */
  readonly secretEnv: Readonly<Record<string, string>>;
}

/** Why a VM ended by itself; `code` fails a still pending Allocate (default UNAVAILABLE). */
export interface VmFailure {
  /** Names the cause, e.g. `process exited with code 3`, `node kwok-s-1 was deleted`. */
  readonly reason: string;
  readonly code?: OperationErrorCode;
}

/** Where VMs run: local child processes or Kubernetes pods. */
export interface VmBackend {
  /**
   * true: VMs survive the allocator (pods), so stop() leaves them and a restart adopts them;
   * false: they die with it (child processes), so the allocator deletes them when it stops.
   */
  readonly vmsOutliveAllocator: boolean;
  /**
   * Checks that this backend can run `spec` in `clusterType` before anything is stored.
   * @throws InvalidArgument naming what it cannot run.
   */
  check(spec: VmSpec, clusterType: ClusterType): void;
  /**
   * Starts the VM; resolves once it is created (not registered). Idempotent per VM id.
   * @returns what operators may want to see (the process id of a local VM).
   */
  start(launch: VmLaunch): Promise<{ pid: number | undefined }>;
  /** Deletes the VM (and whatever it owns) and resolves once it is gone. Idempotent. */
  kill(vm: VmRef): Promise<void>;
  /**
   * Calls `listener` when a VM ends by itself (not through kill/stop): pushed from the child's
   * 'exit' event or the pod and node watches. At most once per VM. Returns unsubscribe.
   */
  onFailure(listener: (vmId: string, failure: VmFailure) => void): () => void;
  /**
   * Restart recovery, before serving: starts the backend's watches, adopts the VMs of `live`
   * (not DEAD in the database) it still runs, deletes what it runs that is not in `live`.
   * @returns ids of `live` VMs it does not run (they are to be failed).
   */
  recover(live: readonly VmRef[]): Promise<string[]>;
  /** Ids of the VMs running here now. */
  running(): string[];
  /** Local: kills every VM and waits. Kubernetes: stops the watches, leaves the pods. Idempotent. */
  stop(): Promise<void>;
}
