import { implement, requireServiceCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { graphExecutor } from '@lzy/proto';
import { graphStateToProto, needsFromProto, taskStatusToProto } from '@lzy/tasks';
import type { TaskStatus } from '@lzy/tasks';
import type { GraphDelta, GraphRunner, GraphView } from '../domain/graph-runner.ts';
import type { GraphRecord } from '../domain/graph-store-port.ts';

function graphStatusOf(
  record: GraphRecord,
  tasks: readonly TaskStatus[],
): graphExecutor.GraphStatus {
  return {
    executionId: record.executionId,
    graphId: record.graphId,
    state: graphStateToProto(record.state),
    tasks: tasks.map(taskStatusToProto),
    description: record.description,
    updatedAt: record.updatedAt,
  };
}

/** GraphStatus of a view: every task, in graph order (a task not reported yet is absent). */
export function toGraphStatus(view: GraphView): graphExecutor.GraphStatus {
  const tasks = view.record.tasks.flatMap((t) => {
    const status = view.statuses.get(t.id);
    return status === undefined ? [] : [status];
  });
  return graphStatusOf(view.record, tasks);
}

function toWatchMessage(update: GraphView | GraphDelta): graphExecutor.WatchGraphResponse {
  return {
    status:
      'changed' in update ? graphStatusOf(update.record, update.changed) : toGraphStatus(update),
  };
}

/** lzy.internal.graph_executor.v1.GraphExecutorService: proto ↔ domain; internal callers only. */
export function graphExecutorService(runner: GraphRunner): ServiceRegistration {
  return implement(graphExecutor.GraphExecutorServiceService, {
    executeGraph: async (request, ctx) => {
      requireServiceCaller(ctx);
      const view = await runner.execute({
        executionId: request.executionId,
        graphId: request.graphId,
        workflowName: request.workflowName,
        userId: request.userId,
        parentGraphId: request.parentGraphId,
        portalAddress: request.portalAddress,
        tasks: request.tasks.map((t) => ({
          id: t.id,
          taskDesc: t.taskDesc,
          needs: needsFromProto(t.needs),
          maxAttempts: t.maxAttempts,
          retryOnFailure: t.retryOnFailure,
        })),
      });
      return { status: toGraphStatus(view) };
    },
    getGraph: async (request, ctx) => {
      requireServiceCaller(ctx);
      return { status: toGraphStatus(await runner.get(request.executionId, request.graphId)) };
    },
    listGraphs: async (request, ctx) => {
      requireServiceCaller(ctx);
      return { graphs: (await runner.list(request.executionId)).map(toGraphStatus) };
    },
    stopGraph: async (request, ctx) => {
      requireServiceCaller(ctx);
      const view = await runner.stop(request.executionId, request.graphId, request.reason);
      return { status: toGraphStatus(view) };
    },
    watchGraph: async (request, ctx, send) => {
      requireServiceCaller(ctx);
      await runner.watch(request.executionId, request.graphId, ctx.signal, (update) =>
        send(toWatchMessage(update)),
      );
    },
  });
}
