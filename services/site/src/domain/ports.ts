/*
 * What the site's rules need from the rest of LZY, as interfaces: src/clients/ implements them
 * over gRPC; tests of the rules use in-memory fakes. The execution side (ExecutionSource) is
 * kept behind one port because its data sources are being redesigned (task rows with
 * timestamps, WatchGraph deltas): only its gRPC implementation will change.
 * Every method throws @lzy/errors (the neighbour's code passed through).
 */

export type ExecutionStatus = 'RUNNING' | 'FAILED' | 'COMPLETING' | 'COMPLETED';
export type GraphState = 'WAITING' | 'EXECUTING' | 'COMPLETED' | 'FAILED';
export type OpState =
  'WAITING' | 'QUEUED' | 'ALLOCATING' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface ExecutionSummary {
  executionId: string;
  userId: string;
  workflowName: string;
  status: ExecutionStatus;
  finishReason: string;
  createdAt: Date;
  finishedAt: Date | undefined;
  opCount: number;
  opsCompleted: number;
  opsExecuting: number;
  graphCount: number;
  graphsFailed: number;
  failure: string;
}

export interface ExecutionFilter {
  workflowName: string;
  statuses: ExecutionStatus[];
  createdFrom: Date | undefined;
  createdTo: Date | undefined;
  onlyFailures: boolean;
}

export interface OpSlot {
  path: string;
  storageUri: string;
  channelId: string;
}

export interface Op {
  taskId: string;
  name: string;
  description: string;
  poolLabel: string;
  zone: string;
  inputs: OpSlot[];
  outputs: OpSlot[];
}

export interface Graph {
  graphId: string;
  createdAt: Date;
  state: GraphState;
  description: string;
  ops: Op[];
}

export interface ExecutionStructure {
  summary: ExecutionSummary;
  /** '' once std streams are gone. */
  portalAddress: string;
  graphs: Graph[];
}

/** One op's state; times the source does not know stay undefined. */
export interface OpStatus {
  taskId: string;
  state: OpState;
  rc: number;
  description: string;
  vmId: string;
  updatedAt: Date | undefined;
  queuedAt?: Date | undefined;
  startedAt?: Date | undefined;
  finishedAt?: Date | undefined;
}

export interface StdLine {
  seq: number;
  taskId: string;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** Executions, their graphs, op states and std streams. */
export interface ExecutionSource {
  /** Newest first; `userId` undefined = every user's (operators). */
  list(
    userId: string | undefined,
    filter: ExecutionFilter,
    page: { size: number; token: string },
  ): Promise<{ executions: ExecutionSummary[]; nextPageToken: string }>;
  /** @throws NotFound if unknown or (userId given) another user's. */
  get(executionId: string, userId: string | undefined): Promise<ExecutionStructure>;
  /** Summaries as they change (no initial snapshot). Ends when `signal` aborts. */
  watchSummaries(userId: string | undefined, signal: AbortSignal): AsyncIterable<ExecutionSummary>;
  /** Every scheduled op's current status, then each change. Ends when `signal` aborts. */
  watchOps(executionId: string, signal: AbortSignal): AsyncIterable<OpStatus>;
  /** Std lines of every op from `fromSeq`, live; ends when the execution's portal finishes. */
  readStd(portalAddress: string, fromSeq: number, signal: AbortSignal): AsyncIterable<StdLine>;
}

export interface Credential {
  name: string;
  type: 'PUBLIC_KEY' | 'OTHER';
  /** PEM for public keys. */
  value: string;
  expiresAt: Date | undefined;
}

/** iam, as the site's internal identity. */
export interface IdentityPort {
  /** Finds or creates the GitHub USER `login`; returns its subject id. Idempotent. */
  ensureUser(login: string): Promise<string>;
  listCredentials(userId: string): Promise<Credential[]>;
  /** @throws InvalidArgument (not a PEM RSA public key), AlreadyExists (name taken) */
  addPublicKey(userId: string, name: string, pem: string, expiresAt?: Date): Promise<void>;
  /** @throws NotFound if there is no such credential */
  removeCredential(userId: string, name: string): Promise<void>;
  /** The subject id iam authenticates `token` (a JWT) as. @throws PermissionDenied */
  authenticate(token: string): Promise<string>;
  /** Whether the user holds `permission` on the root resource. */
  isAllowedOnRoot(userId: string, permission: string): Promise<boolean>;
  /** Binds `role` on the root resource to the user. Idempotent. */
  grantOnRoot(userId: string, role: string): Promise<void>;
}

export interface Whiteboard {
  id: string;
  name: string;
  tags: string[];
  status: 'CREATED' | 'FINALIZED' | 'UNKNOWN';
  createdAt: Date | undefined;
  storageUri: string;
  fields: Array<{ name: string; dataFormat: string; schemeFormat: string }>;
}

/** The public whiteboard API, called AS the user (`token` is the user's JWT). */
export interface WhiteboardSource {
  list(
    token: string,
    query: { name: string; tags: string[]; from: Date | undefined; to: Date | undefined },
  ): Promise<Whiteboard[]>;
  /** @throws NotFound (unknown, or not the user's) */
  get(token: string, id: string): Promise<Whiteboard>;
}

export interface Pool {
  label: string;
  clusterType: 'WORKER' | 'SYSTEM' | 'UNKNOWN';
  cpuCount: number;
  ramGb: number;
  gpuType: string;
  gpuCount: number;
  maxVms: number | undefined;
}

export interface Vm {
  id: string;
  poolLabel: string;
  status: 'ALLOCATING' | 'RUNNING' | 'IDLE' | 'DELETING' | 'DEAD' | 'UNKNOWN';
}

export interface DirectoryUser {
  id: string;
  login: string;
  authProvider: string;
  createdAt: Date | undefined;
  publicKeyCount: number;
  rootRoles: string[];
}

/** What operators see: the allocator's pools and VMs, iam's users. */
export interface OperatorSource {
  listPools(): Promise<Pool[]>;
  listVms(): Promise<Vm[]>;
  listUsers(): Promise<DirectoryUser[]>;
}
