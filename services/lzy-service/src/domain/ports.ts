import type { GraphState, TaskNeeds, TaskState } from '@lzy/tasks';
import type { commonOperation, commonStorage } from '@lzy/proto';

/*
 * The neighbours of lzy-service as the domain sees them. gRPC adapters live in src/clients/; the
 * domain never touches a stub. Message types of our own data model (StorageConfig, TaskDesc) are
 * used as plain data. Every method throws @lzy/errors (the neighbour's code passed through).
 */

export type StorageConfig = commonStorage.StorageConfig;
export type TaskDesc = commonOperation.TaskDesc;

/** storage service: the per-user internal bucket. */
export interface StoragePort {
  /** Creates (or finds) the bucket and the user's credentials. Idempotent. */
  createStorage(userId: string, bucket: string): Promise<StorageConfig>;
  /** @throws NotFound when the bucket was never created. */
  getStorageCredentials(userId: string, bucket: string): Promise<StorageConfig>;
}

/** A pool of the allocator's catalogue. */
export interface VmPool {
  label: string;
  cpuType: string;
  cpuCount: number;
  gpuType: string;
  gpuCount: number;
  ramGb: number;
  zones: string[];
}

export interface PortalVm {
  vmId: string;
  /** host:port of the portal's PortalService (its VM endpoint). */
  address: string;
}

/** allocator: the execution's portal VM (system cluster) and the pool catalogue. */
export interface AllocatorPort {
  /** Idempotent on `idempotencyKey`. Returns the session id. */
  /** `ownerUserId`: the user the session's VMs work for (recorded as their owner in iam). */
  createSession(
    owner: string,
    description: string,
    idempotencyKey: string,
    ownerUserId: string,
  ): Promise<string>;
  /**
   * Allocates a VM running workload `portal` and waits (push) until it registered.
   * Idempotent on `idempotencyKey`. @throws DeadlineExceeded after `timeoutMs`.
   */
  allocatePortal(request: {
    sessionId: string;
    pool: string;
    env: Record<string, string>;
    idempotencyKey: string;
    timeoutMs: number;
  }): Promise<PortalVm>;
  /** Idempotent; an already deleted VM is fine. */
  free(vmId: string): Promise<void>;
  /** Idempotent. */
  deleteSession(sessionId: string): Promise<void>;
  /** User (WORKER cluster) pools. */
  listWorkerPools(): Promise<VmPool[]>;
  /**
   * The VM's life by push: a message now and at each change of status; ends once it is gone.
   * An unknown VM is reported gone.
   */
  watchVm(vmId: string, signal: AbortSignal): AsyncIterable<VmLife>;
  /** The VM's life now (an unknown VM is gone). */
  vmLife(vmId: string): Promise<VmLife>;
}

/** Whether a VM still lives and, once gone, why (the allocator's delete reason). */
export interface VmLife {
  gone: boolean;
  reason: string;
}

/** channel-manager. */
export interface ChannelsPort {
  /**
   * Creates the channels of one graph in one call; idempotent on each name
   * (`<executionId>/<…>`). @returns the channel ids in the order of `channelNames`.
   */
  createChannels(request: {
    executionId: string;
    workflowName: string;
    userId: string;
    channelNames: readonly string[];
  }): Promise<string[]>;
  /** Idempotent. */
  destroyAllChannels(executionId: string): Promise<void>;
}

/**
 * One WatchGraph message in domain terms: the graph's state and, in the first message (`full`)
 * every task, in later ones only the tasks that changed.
 */
export interface ExecutorGraphUpdate {
  full: boolean;
  state: GraphState;
  description: string;
  tasks: Array<{ taskId: string; state: TaskState }>;
}

export interface SubmittedTask {
  id: string;
  desc: TaskDesc;
  /** What it takes of its VM; undefined: the whole VM (pylzy never says). */
  needs?: TaskNeeds | undefined;
  /** Runs at most; 0: the scheduler's default. */
  maxAttempts?: number;
  /** Also run again after a non-zero exit of the op itself. */
  retryOnFailure?: boolean;
}

/** graph-executor. */
export interface GraphsPort {
  /** Idempotent on (executionId, graphId). */
  execute(request: {
    executionId: string;
    workflowName: string;
    userId: string;
    graphId: string;
    parentGraphId: string;
    tasks: SubmittedTask[];
    portalAddress: string;
  }): Promise<void>;
  /** Idempotent; a finished graph keeps its state. */
  stop(executionId: string, graphId: string, reason: string): Promise<void>;
  /** Current status, then every change; ends after a terminal state. */
  watch(
    executionId: string,
    graphId: string,
    signal: AbortSignal,
  ): AsyncIterable<ExecutorGraphUpdate>;
}

export type SnapshotState = 'PENDING' | 'SYNCED' | 'FAILED';

export interface PortalSlotUpdate {
  slotName: string;
  state: SnapshotState;
  description: string;
}

/** A portal snapshot slot: a graph output to persist (receiver) or stored data to serve (sender). */
export interface PortalSnapshotSlot {
  slotName: string;
  channelId: string;
  kind: 'receiver' | 'sender';
  storageUri: string;
  /** The execution's storage credentials; uri replaced by the data item's. */
  storage: StorageConfig;
}

export interface StdChunk {
  seq: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** The execution's portal, addressed by its VM endpoint. */
export interface PortalPort {
  /** Idempotent on slot names. */
  openSlots(address: string, slots: PortalSnapshotSlot[]): Promise<void>;
  /** Current status of each named slot, then every change; ends when all are terminal. */
  watchSlots(
    address: string,
    slotNames: string[],
    signal: AbortSignal,
  ): AsyncIterable<PortalSlotUpdate>;
  /** std chunks from `fromSeq`, live; ends once the portal finished. */
  readStd(address: string, fromSeq: number, signal: AbortSignal): AsyncIterable<StdChunk>;
  /**
   * Finish and wait (push) for it; called once every graph of the execution ended, so snapshots
   * that no op produced are abandoned at once. @throws DeadlineExceeded after `timeoutMs`.
   */
  finish(address: string, timeoutMs: number): Promise<void>;
  /** Drops everything at once. Idempotent. */
  stop(address: string): Promise<void>;
}

/** iam access bindings. */
export interface AccessPort {
  /** Grants `lzy.workflow.owner` on workflow `<userId>/<workflowName>` to the user. */
  grantWorkflowOwner(userId: string, workflowName: string): Promise<void>;
}

export interface Neighbours {
  storage: StoragePort;
  allocator: AllocatorPort;
  channels: ChannelsPort;
  graphs: GraphsPort;
  portal: PortalPort;
  access: AccessPort;
}
