import { InvalidArgument } from '@lzy/errors';
import { graphExecutor, scheduler } from '@lzy/proto';
import type { GraphState, TaskNeeds, TaskState, TaskStatus } from './task-state.ts';

const { TaskState: PT } = scheduler;
const { GraphState: PG } = graphExecutor;

const TASK_TO_PROTO: Readonly<Record<TaskState, scheduler.TaskState>> = {
  WAITING: PT.TASK_STATE_WAITING,
  QUEUED: PT.TASK_STATE_QUEUED,
  EXECUTING: PT.TASK_STATE_EXECUTING,
  SUCCEEDED: PT.TASK_STATE_SUCCEEDED,
  FAILED: PT.TASK_STATE_FAILED,
  STOPPED: PT.TASK_STATE_STOPPED,
};

export function taskStateToProto(state: TaskState): scheduler.TaskState {
  return TASK_TO_PROTO[state];
}

/** @throws InvalidArgument for UNSPECIFIED and unknown values */
export function taskStateFromProto(state: scheduler.TaskState): TaskState {
  for (const [name, value] of Object.entries(TASK_TO_PROTO))
    if (value === state) return name as TaskState;
  // ALLOCATING was sent before warm dispatch: the task waits for a VM.
  if (state === PT.TASK_STATE_ALLOCATING) return 'QUEUED';
  throw new InvalidArgument(`unknown task state ${state}`);
}

export function taskStatusToProto(status: TaskStatus): scheduler.TaskStatus {
  return {
    executionId: status.executionId,
    graphId: status.graphId,
    taskId: status.taskId,
    operationName: status.operationName,
    poolLabel: status.poolLabel,
    state: taskStateToProto(status.state),
    rc: status.rc,
    description: status.description,
    vmId: status.vmId,
    attempt: status.attempt,
    version: status.version,
    queuedAt: status.queuedAt,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    updatedAt: status.updatedAt,
  };
}

export function taskStatusFromProto(status: scheduler.TaskStatus): TaskStatus {
  return {
    executionId: status.executionId,
    graphId: status.graphId,
    taskId: status.taskId,
    operationName: status.operationName,
    poolLabel: status.poolLabel,
    state: taskStateFromProto(status.state),
    rc: status.rc,
    description: status.description,
    vmId: status.vmId,
    attempt: status.attempt,
    version: status.version,
    queuedAt: status.queuedAt,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    updatedAt: status.updatedAt ?? new Date(0),
  };
}

export function needsToProto(needs: TaskNeeds | undefined): scheduler.Needs | undefined {
  return needs === undefined ? undefined : { cpu: needs.cpu, gpu: needs.gpu, ramGb: needs.ramGb };
}

/** @throws InvalidArgument for negative or non-finite amounts */
export function needsFromProto(needs: scheduler.Needs | undefined): TaskNeeds | undefined {
  if (needs === undefined) return undefined;
  for (const [name, value] of Object.entries({ cpu: needs.cpu, ramGb: needs.ramGb }))
    if (!Number.isFinite(value) || value < 0)
      throw new InvalidArgument(`needs.${name} must be a non-negative number, got ${value}`);
  return { cpu: needs.cpu, gpu: needs.gpu, ramGb: needs.ramGb };
}

const GRAPH_TO_PROTO: Readonly<Record<GraphState, graphExecutor.GraphState>> = {
  WAITING: PG.GRAPH_STATE_WAITING,
  EXECUTING: PG.GRAPH_STATE_EXECUTING,
  COMPLETED: PG.GRAPH_STATE_COMPLETED,
  FAILED: PG.GRAPH_STATE_FAILED,
};

export function graphStateToProto(state: GraphState): graphExecutor.GraphState {
  return GRAPH_TO_PROTO[state];
}

/** @throws InvalidArgument for UNSPECIFIED and unknown values */
export function graphStateFromProto(state: graphExecutor.GraphState): GraphState {
  for (const [name, value] of Object.entries(GRAPH_TO_PROTO))
    if (value === state) return name as GraphState;
  throw new InvalidArgument(`unknown graph state ${state}`);
}
