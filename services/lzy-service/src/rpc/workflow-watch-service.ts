import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { lzyWorkflowWatchService } from '@lzy/proto';
import type { GraphWatch } from '../domain/graph-watch.ts';
import { callerOf, toGraphStatusResponse } from './workflow-service.ts';

/**
 * ai.lzy.v1.workflow.LzyWorkflowWatchService (LZY-TS extension): WatchGraph streams what
 * GraphStatus answers, authorized as GraphStatus (the Bearer user's own active execution).
 */
export function workflowWatchService(deps: { watch: GraphWatch }): ServiceRegistration {
  return implement(lzyWorkflowWatchService.LzyWorkflowWatchServiceService, {
    watchGraph: async (request, ctx, send) => {
      const userId = callerOf(request, ctx);
      const statuses = deps.watch.watch(userId, request.executionId, request.graphId, ctx.signal);
      for await (const status of statuses) await send({ status: toGraphStatusResponse(status) });
    },
  });
}
