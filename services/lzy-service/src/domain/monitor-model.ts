/*
 * The execution monitor's model (lzy.internal.monitor.v1 in domain terms): summaries of
 * executions and the recorded structure of their graphs, for the site (issue 14).
 */

export type MonitorExecutionStatus = 'RUNNING' | 'FAILED' | 'COMPLETING' | 'COMPLETED';
export type MonitorGraphState = 'WAITING' | 'EXECUTING' | 'COMPLETED' | 'FAILED';

export interface ExecutionSummary {
  executionId: string;
  userId: string;
  workflowName: string;
  status: MonitorExecutionStatus;
  finishReason: string;
  createdAt: Date;
  finishedAt: Date | undefined;
  opCount: number;
  opsCompleted: number;
  opsExecuting: number;
  graphCount: number;
  graphsFailed: number;
  /** Description of the latest failed graph; '' if none failed. */
  failure: string;
}

/** A slot of a recorded op: its path, its channel and (once known) the data's storage URI. */
export interface RecordedSlot {
  path: string;
  channelId: string;
}

/** One op of a graph as graph-executor received it (command and environment left out). */
export interface RecordedOp {
  taskId: string;
  name: string;
  description: string;
  poolLabel: string;
  zone: string;
  inputs: RecordedSlot[];
  outputs: RecordedSlot[];
}

export interface MonitoredSlot extends RecordedSlot {
  /** '' when the channel's URI was not recorded. */
  storageUri: string;
}

export interface MonitoredOp extends Omit<RecordedOp, 'inputs' | 'outputs'> {
  inputs: MonitoredSlot[];
  outputs: MonitoredSlot[];
}

export interface MonitoredGraph {
  graphId: string;
  createdAt: Date;
  state: MonitorGraphState;
  description: string;
  ops: MonitoredOp[];
}

export interface ExecutionDetail {
  summary: ExecutionSummary;
  /** '' once the execution's portal is gone. */
  portalAddress: string;
  graphs: MonitoredGraph[];
}

export interface ExecutionFilter {
  /** undefined: every user's. */
  userId: string | undefined;
  /** Case-insensitive substring; '' = any. */
  workflowName: string;
  statuses: MonitorExecutionStatus[];
  createdFrom: Date | undefined;
  createdTo: Date | undefined;
  onlyFailures: boolean;
}

export interface ExecutionPage {
  executions: ExecutionSummary[];
  /** '' on the last page. */
  nextPageToken: string;
}
