/*
 * The JSON contract between the site's backend (src/http) and its pages (web/). Plain types
 * only: the pages import this file too. Times are ISO-8601 strings; absent = unknown.
 */

export interface SessionDto {
  user: { id: string; login: string; isAdmin: boolean };
  /** Send as `x-csrf-token` on every POST and DELETE. */
  csrfToken: string;
}

export interface SiteInfoDto {
  /** Sign-in with GitHub is configured. */
  githubEnabled: boolean;
}

export interface ApiErrorDto {
  error: string;
}

export interface KeyDto {
  name: string;
  /** SHA-256 of the DER public key, hex pairs, as `ssh-keygen -l` would show it for SPKI. */
  fingerprint: string;
  expiresAt?: string;
}

export interface NewKeyDto {
  name: string;
  publicKeyPem: string;
}

export type ExecutionStatusDto = 'RUNNING' | 'FAILED' | 'COMPLETING' | 'COMPLETED';

export interface ExecutionSummaryDto {
  executionId: string;
  workflowName: string;
  status: ExecutionStatusDto;
  finishReason: string;
  createdAt: string;
  finishedAt?: string;
  opCount: number;
  opsCompleted: number;
  opsExecuting: number;
  graphCount: number;
  graphsFailed: number;
  failure: string;
  /** Operators' view only: the owner's login (or id when unknown). */
  owner?: string;
}

export interface ExecutionPageDto {
  executions: ExecutionSummaryDto[];
  nextPageToken: string;
}

export type OpStateDto =
  'WAITING' | 'QUEUED' | 'ALLOCATING' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface OpStatusDto {
  taskId: string;
  state: OpStateDto;
  rc: number;
  description: string;
  vmId: string;
  updatedAt?: string;
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface OpSlotDto {
  path: string;
  storageUri: string;
}

export interface OpNodeDto {
  taskId: string;
  name: string;
  description: string;
  poolLabel: string;
  zone: string;
  inputs: OpSlotDto[];
  outputs: OpSlotDto[];
  /** Top-left corner of the op's box in the graph's layout (pixels). */
  x: number;
  y: number;
}

export interface GraphDto {
  graphId: string;
  createdAt: string;
  state: 'WAITING' | 'EXECUTING' | 'COMPLETED' | 'FAILED';
  description: string;
  ops: OpNodeDto[];
  /** Producer task id → consumer task id. */
  edges: Array<{ from: string; to: string }>;
  width: number;
  height: number;
}

export interface ExecutionDetailDto {
  summary: ExecutionSummaryDto;
  graphs: GraphDto[];
  /** Ops never scheduled yet are absent: they are WAITING. */
  ops: OpStatusDto[];
  /** Std streams can still be read (the execution's portal is up). */
  logsAvailable: boolean;
}

export interface StdLineDto {
  seq: number;
  taskId: string;
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface WhiteboardSummaryDto {
  id: string;
  name: string;
  tags: string[];
  status: 'CREATED' | 'FINALIZED' | 'UNKNOWN';
  createdAt?: string;
}

export interface WhiteboardDto extends WhiteboardSummaryDto {
  storageUri: string;
  fields: Array<{ name: string; dataFormat: string; schemeFormat: string }>;
}

export interface PoolDto {
  label: string;
  clusterType: 'WORKER' | 'SYSTEM' | 'UNKNOWN';
  cpuCount: number;
  ramGb: number;
  gpuType: string;
  gpuCount: number;
  maxVms?: number;
  vmsRunning: number;
  vmsIdle: number;
  vmsAllocating: number;
}

export interface UserDto {
  id: string;
  login: string;
  authProvider: string;
  createdAt?: string;
  publicKeyCount: number;
  isAdmin: boolean;
}

export interface AdminOverviewDto {
  pools: PoolDto[];
  users: UserDto[];
  failures: ExecutionSummaryDto[];
}

/** Server-sent event names and their payloads. */
export interface SiteEvents {
  /** /api/executions/events */
  execution: ExecutionSummaryDto;
  /** /api/executions/:id/events */
  op: OpStatusDto;
  summary: ExecutionSummaryDto;
  /** /api/executions/:id/logs */
  std: StdLineDto;
  end: Record<string, never>;
}
