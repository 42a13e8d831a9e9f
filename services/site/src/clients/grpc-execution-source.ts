import { serverStream, unaryCall } from '@lzy/grpc';
import { monitor, portal, scheduler } from '@lzy/proto';
import type {
  ExecutionFilter,
  ExecutionSource,
  ExecutionStatus,
  ExecutionStructure,
  ExecutionSummary,
  GraphState,
  OpState,
  OpStatus,
  StdLine,
} from '../domain/ports.ts';

const STATUS: Record<ExecutionStatus, monitor.ExecutionStatus> = {
  RUNNING: monitor.ExecutionStatus.EXECUTION_STATUS_RUNNING,
  FAILED: monitor.ExecutionStatus.EXECUTION_STATUS_FAILED,
  COMPLETING: monitor.ExecutionStatus.EXECUTION_STATUS_COMPLETING,
  COMPLETED: monitor.ExecutionStatus.EXECUTION_STATUS_COMPLETED,
};

const GRAPH_STATE: Record<number, GraphState> = {
  [monitor.GraphState.GRAPH_STATE_EXECUTING]: 'EXECUTING',
  [monitor.GraphState.GRAPH_STATE_COMPLETED]: 'COMPLETED',
  [monitor.GraphState.GRAPH_STATE_FAILED]: 'FAILED',
};

const OP_STATE: Record<number, OpState> = {
  [scheduler.TaskState.TASK_STATE_QUEUED]: 'QUEUED',
  [scheduler.TaskState.TASK_STATE_ALLOCATING]: 'ALLOCATING',
  [scheduler.TaskState.TASK_STATE_EXECUTING]: 'EXECUTING',
  [scheduler.TaskState.TASK_STATE_SUCCEEDED]: 'SUCCEEDED',
  [scheduler.TaskState.TASK_STATE_FAILED]: 'FAILED',
  [scheduler.TaskState.TASK_STATE_STOPPED]: 'STOPPED',
};

function statusOf(status: monitor.ExecutionStatus): ExecutionStatus {
  const found = (Object.keys(STATUS) as ExecutionStatus[]).find((s) => STATUS[s] === status);
  return found ?? 'RUNNING';
}

export function toSummary(s: monitor.ExecutionSummary): ExecutionSummary {
  return {
    executionId: s.executionId,
    userId: s.userId,
    workflowName: s.workflowName,
    status: statusOf(s.status),
    finishReason: s.finishReason,
    createdAt: s.createdAt ?? new Date(0),
    finishedAt: s.finishedAt,
    opCount: s.opCount,
    opsCompleted: s.opsCompleted,
    opsExecuting: s.opsExecuting,
    graphCount: s.graphCount,
    graphsFailed: s.graphsFailed,
    failure: s.failure,
  };
}

export function toOpStatus(t: scheduler.TaskStatus): OpStatus {
  return {
    taskId: t.taskId,
    state: OP_STATE[t.state] ?? 'QUEUED',
    rc: t.rc,
    description: t.description,
    vmId: t.vmId,
    updatedAt: t.updatedAt,
  };
}

export interface ExecutionStubs {
  monitor: monitor.ExecutionMonitorServiceClient;
  scheduler: scheduler.SchedulerServiceClient;
  /** PortalService stub of a portal address (cached by the caller). */
  portalAt(address: string): portal.PortalServiceClient;
}

/**
 * ExecutionSource over today's services: lzy-service's execution monitor (summaries, graph
 * structure, pushes), the scheduler's WatchTasks (op states: one message per change, for the
 * whole execution) and the portal's ReadStd. When task state moves to rows with timestamps,
 * only this adapter changes (its OpStatus gets queuedAt/startedAt/finishedAt).
 */
export class GrpcExecutionSource implements ExecutionSource {
  readonly #stubs: ExecutionStubs;

  constructor(deps: { stubs: ExecutionStubs }) {
    this.#stubs = deps.stubs;
  }

  async list(
    userId: string | undefined,
    filter: ExecutionFilter,
    page: { size: number; token: string },
  ): Promise<{ executions: ExecutionSummary[]; nextPageToken: string }> {
    const c = this.#stubs.monitor;
    const response = await unaryCall(c.listExecutions.bind(c), {
      userId: userId ?? '',
      workflowName: filter.workflowName,
      statuses: filter.statuses.map((s) => STATUS[s]),
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo,
      onlyFailures: filter.onlyFailures,
      pageSize: page.size,
      pageToken: page.token,
    });
    return {
      executions: response.executions.map(toSummary),
      nextPageToken: response.nextPageToken,
    };
  }

  async get(executionId: string, userId: string | undefined): Promise<ExecutionStructure> {
    const c = this.#stubs.monitor;
    const response = await unaryCall(c.getExecution.bind(c), {
      executionId,
      userId: userId ?? '',
    });
    const summary = response.execution;
    if (summary === undefined) throw new Error('GetExecution answered without an execution');
    return {
      summary: toSummary(summary),
      portalAddress: response.portalAddress,
      graphs: response.graphs.map((g) => ({
        graphId: g.graphId,
        createdAt: g.createdAt ?? new Date(0),
        state: GRAPH_STATE[g.state] ?? 'WAITING',
        description: g.description,
        ops: g.ops,
      })),
    };
  }

  async *watchSummaries(
    userId: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<ExecutionSummary, void, undefined> {
    const c = this.#stubs.monitor;
    const stream = serverStream(c.watchExecutions.bind(c), { userId: userId ?? '' }, { signal });
    for await (const message of stream) {
      if (message.execution !== undefined) yield toSummary(message.execution);
    }
  }

  async *watchOps(
    executionId: string,
    signal: AbortSignal,
  ): AsyncGenerator<OpStatus, void, undefined> {
    const c = this.#stubs.scheduler;
    const stream = serverStream(c.watchTasks.bind(c), { executionId, taskIds: [] }, { signal });
    for await (const message of stream) {
      if (message.status !== undefined) yield toOpStatus(message.status);
    }
  }

  async *readStd(
    portalAddress: string,
    fromSeq: number,
    signal: AbortSignal,
  ): AsyncGenerator<StdLine, void, undefined> {
    const c = this.#stubs.portalAt(portalAddress);
    for await (const message of serverStream(c.readStd.bind(c), { fromSeq }, { signal })) {
      yield {
        seq: message.seq,
        taskId: message.taskId,
        stream: message.stream === portal.StdStream.STD_STREAM_STDERR ? 'stderr' : 'stdout',
        data: message.data,
      };
    }
  }
}
