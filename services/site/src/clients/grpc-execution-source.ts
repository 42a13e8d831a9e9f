import { serverStream, unaryCall } from '@lzy/grpc';
import { monitor, portal } from '@lzy/proto';
import type { scheduler } from '@lzy/proto';
import { taskStatusFromProto } from '@lzy/tasks';
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

/** The scheduler's task status (timings included) as the site shows an op. */
export function toOpStatus(t: scheduler.TaskStatus): OpStatus {
  const status = taskStatusFromProto(t);
  const state: OpState = status.state;
  return {
    taskId: status.taskId,
    state,
    rc: status.rc,
    description: status.description,
    vmId: status.vmId,
    updatedAt: status.updatedAt,
    queuedAt: status.queuedAt,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
  };
}

export interface ExecutionStubs {
  monitor: monitor.ExecutionMonitorServiceClient;
  scheduler: scheduler.SchedulerServiceClient;
  /** PortalService stub of a portal address (cached by the caller). */
  portalAt(address: string): portal.PortalServiceClient;
}

/**
 * ExecutionSource over the services: lzy-service's execution monitor (summaries, graph
 * structure, pushes), the scheduler's WatchTasks (op states with their timings, in batches of
 * changes for the whole execution) and the portal's ReadStd.
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
    const stream = serverStream(c.watchTasks.bind(c), { executionId, afterVersion: 0 }, { signal });
    for await (const message of stream)
      for (const status of message.statuses) yield toOpStatus(status);
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
