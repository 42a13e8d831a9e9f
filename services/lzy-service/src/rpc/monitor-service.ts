import { implement, requireServiceCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { monitor } from '@lzy/proto';
import type { ExecutionMonitor } from '../domain/execution-monitor.ts';
import type {
  ExecutionSummary,
  MonitorExecutionStatus,
  MonitoredGraph,
  MonitorGraphState,
} from '../domain/monitor-model.ts';

const STATUS_TO_PROTO: Record<MonitorExecutionStatus, monitor.ExecutionStatus> = {
  RUNNING: monitor.ExecutionStatus.EXECUTION_STATUS_RUNNING,
  FAILED: monitor.ExecutionStatus.EXECUTION_STATUS_FAILED,
  COMPLETING: monitor.ExecutionStatus.EXECUTION_STATUS_COMPLETING,
  COMPLETED: monitor.ExecutionStatus.EXECUTION_STATUS_COMPLETED,
};

const GRAPH_STATE_TO_PROTO: Record<MonitorGraphState, monitor.GraphState> = {
  WAITING: monitor.GraphState.GRAPH_STATE_WAITING,
  EXECUTING: monitor.GraphState.GRAPH_STATE_EXECUTING,
  COMPLETED: monitor.GraphState.GRAPH_STATE_COMPLETED,
  FAILED: monitor.GraphState.GRAPH_STATE_FAILED,
};

function statusFromProto(status: monitor.ExecutionStatus): MonitorExecutionStatus[] {
  const found = (Object.keys(STATUS_TO_PROTO) as MonitorExecutionStatus[]).find(
    (key) => STATUS_TO_PROTO[key] === status,
  );
  return found === undefined ? [] : [found];
}

export function toProtoSummary(summary: ExecutionSummary): monitor.ExecutionSummary {
  return {
    executionId: summary.executionId,
    userId: summary.userId,
    workflowName: summary.workflowName,
    status: STATUS_TO_PROTO[summary.status],
    finishReason: summary.finishReason,
    createdAt: summary.createdAt,
    finishedAt: summary.finishedAt,
    opCount: summary.opCount,
    opsCompleted: summary.opsCompleted,
    opsExecuting: summary.opsExecuting,
    graphCount: summary.graphCount,
    graphsFailed: summary.graphsFailed,
    failure: summary.failure,
  };
}

function toProtoGraph(graph: MonitoredGraph): monitor.MonitoredGraph {
  return {
    graphId: graph.graphId,
    createdAt: graph.createdAt,
    state: GRAPH_STATE_TO_PROTO[graph.state],
    description: graph.description,
    ops: graph.ops,
  };
}

/**
 * lzy.internal.monitor.v1.ExecutionMonitorService: proto ↔ domain. Internal callers only; the
 * site passes the signed-in user's id and the monitor filters by it.
 */
export function monitorService(deps: { monitor: ExecutionMonitor }): ServiceRegistration {
  const executions = deps.monitor;
  return implement(monitor.ExecutionMonitorServiceService, {
    listExecutions: async (request, ctx) => {
      requireServiceCaller(ctx);
      const page = await executions.list(
        {
          userId: request.userId === '' ? undefined : request.userId,
          workflowName: request.workflowName,
          statuses: request.statuses.flatMap(statusFromProto),
          createdFrom: request.createdFrom,
          createdTo: request.createdTo,
          onlyFailures: request.onlyFailures,
        },
        request.pageSize,
        request.pageToken,
      );
      return {
        executions: page.executions.map(toProtoSummary),
        nextPageToken: page.nextPageToken,
      };
    },
    getExecution: async (request, ctx) => {
      requireServiceCaller(ctx);
      const detail = await executions.get(
        request.executionId,
        request.userId === '' ? undefined : request.userId,
      );
      return {
        execution: toProtoSummary(detail.summary),
        portalAddress: detail.portalAddress,
        graphs: detail.graphs.map(toProtoGraph),
      };
    },
    watchExecutions: async (request, ctx, send) => {
      requireServiceCaller(ctx);
      const userId = request.userId === '' ? undefined : request.userId;
      for await (const summary of executions.watch(userId, ctx.signal)) {
        await send({ execution: toProtoSummary(summary) });
      }
    },
  });
}
