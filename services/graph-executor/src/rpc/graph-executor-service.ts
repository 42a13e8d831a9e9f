import { implement, requireInternalCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { graphExecutor, scheduler } from '@lzy/proto';
import type { GraphRunner } from '../domain/graph-runner.ts';
import type { GraphRecord, GraphState } from '../domain/graph-store-port.ts';

const STATES: Record<GraphState, graphExecutor.GraphState> = {
  WAITING: graphExecutor.GraphState.GRAPH_STATE_WAITING,
  EXECUTING: graphExecutor.GraphState.GRAPH_STATE_EXECUTING,
  COMPLETED: graphExecutor.GraphState.GRAPH_STATE_COMPLETED,
  FAILED: graphExecutor.GraphState.GRAPH_STATE_FAILED,
};

/** GraphStatus of a record: tasks released so far (a released task without news is QUEUED). */
export function toGraphStatus(record: GraphRecord): graphExecutor.GraphStatus {
  return {
    executionId: record.executionId,
    graphId: record.graphId,
    state: STATES[record.state],
    tasks: record.tasks
      .filter((t) => t.scheduled || t.status !== undefined)
      .map(
        (t) =>
          t.status ??
          scheduler.TaskStatus.fromPartial({
            executionId: record.executionId,
            taskId: t.id,
            operationName: t.operationName,
            state: scheduler.TaskState.TASK_STATE_QUEUED,
          }),
      ),
    description: record.description,
    updatedAt: record.updatedAt,
  };
}

/** lzy.internal.graph_executor.v1.GraphExecutorService: proto ↔ domain; internal callers only. */
export function graphExecutorService(runner: GraphRunner): ServiceRegistration {
  return implement(graphExecutor.GraphExecutorServiceService, {
    executeGraph: async (request, ctx) => {
      requireInternalCaller(ctx);
      const record = await runner.execute({
        executionId: request.executionId,
        graphId: request.graphId,
        workflowName: request.workflowName,
        userId: request.userId,
        parentGraphId: request.parentGraphId,
        portalAddress: request.portalAddress,
        tasks: request.tasks,
      });
      return { status: toGraphStatus(record) };
    },
    getGraph: async (request, ctx) => {
      requireInternalCaller(ctx);
      return { status: toGraphStatus(await runner.get(request.executionId, request.graphId)) };
    },
    listGraphs: async (request, ctx) => {
      requireInternalCaller(ctx);
      return { graphs: (await runner.list(request.executionId)).map(toGraphStatus) };
    },
    stopGraph: async (request, ctx) => {
      requireInternalCaller(ctx);
      const record = await runner.stop(request.executionId, request.graphId, request.reason);
      return { status: toGraphStatus(record) };
    },
    watchGraph: async (request, ctx, send) => {
      requireInternalCaller(ctx);
      await runner.watch(request.executionId, request.graphId, ctx.signal, (record) =>
        send({ status: toGraphStatus(record) }),
      );
    },
  });
}
