import { Unauthenticated } from '@lzy/errors';
import { implement, rejectNulCharacters } from '@lzy/grpc';
import type { CallContext, ServiceRegistration } from '@lzy/grpc';
import { requestHash, toProtoOperation } from '@lzy/operations';
import { lzyWorkflowService } from '@lzy/proto';
import type { Graphs } from '../domain/graphs.ts';
import type { UserGraphStatus } from '../domain/graph-view.ts';
import type { Workflows } from '../domain/workflows.ts';

type GraphStatusResponse = lzyWorkflowService.GraphStatusResponse;

function userIdOf(ctx: CallContext): string {
  if (ctx.subject === undefined) throw new Unauthenticated('Authorization header is missing');
  return ctx.subject.id;
}

/** The caller's id, once the request has no NUL in any string (issue 13 item 10). */
export function callerOf(request: unknown, ctx: CallContext): string {
  const userId = userIdOf(ctx);
  rejectNulCharacters(request);
  return userId;
}

/** public-api §3.5: exactly one member, empty members still present (`1a 00` = completed). */
export function toGraphStatusResponse(status: UserGraphStatus): GraphStatusResponse {
  switch (status.kind) {
    case 'waiting':
      return { status: { $case: 'waiting', value: {} } };
    case 'executing':
      return {
        status: {
          $case: 'executing',
          value: {
            operationsCompleted: status.completed,
            operationsExecuting: status.executing,
            operationsWaiting: [],
            message: status.message,
          },
        },
      };
    case 'completed':
      return { status: { $case: 'completed', value: {} } };
    case 'failed':
      return { status: { $case: 'failed', value: { description: status.description } } };
  }
}

/** ai.lzy.v1.workflow.LzyWorkflowService: proto ↔ domain; every call authenticated. */
export function workflowService(deps: {
  workflows: Workflows;
  graphs: Graphs;
}): ServiceRegistration {
  const { workflows, graphs } = deps;
  return implement(lzyWorkflowService.LzyWorkflowServiceService, {
    startWorkflow: async (request, ctx) => {
      const started = await workflows.start(
        callerOf(request, ctx),
        request.workflowName,
        request.snapshotStorage,
      );
      return {
        executionId: started.executionId,
        // Java sent an EMPTY message (`12 00`) when the user brought storage (public-api §3.5).
        internalSnapshotStorage: started.internalStorage ?? { uri: '', credentials: undefined },
      };
    },
    finishWorkflow: async (request, ctx) =>
      toProtoOperation(await workflows.finish(callerOf(request, ctx), request)),
    abortWorkflow: async (request, ctx) => {
      await workflows.abort(callerOf(request, ctx), request);
      return {};
    },
    executeGraph: async (request, ctx) => {
      const userId = callerOf(request, ctx);
      const hash = requestHash(lzyWorkflowService.ExecuteGraphRequest.encode(request).finish());
      const graphId = await graphs.execute(
        userId,
        {
          executionId: request.executionId,
          workflowName: request.workflowName,
          graph: request.graph ?? {
            name: '',
            parentGraphId: '',
            operations: [],
            dataDescriptions: [],
            zone: '',
          },
        },
        hash,
      );
      return { graphId };
    },
    graphStatus: async (request, ctx) =>
      toGraphStatusResponse(
        await graphs.status(callerOf(request, ctx), request.executionId, request.graphId),
      ),
    stopGraph: async (request, ctx) => {
      await graphs.stop(callerOf(request, ctx), request.executionId, request.graphId);
      return {};
    },
    readStdSlots: async (request, ctx, send) => {
      const chunks = await workflows.readStd(
        callerOf(request, ctx),
        request.executionId,
        ctx.signal,
      );
      for await (const chunk of chunks) {
        await send({ data: { $case: chunk.stream, value: { data: [chunk.data] } } });
      }
    },
    getAvailablePools: async (request, ctx) => {
      const pools = await workflows.pools(callerOf(request, ctx), request.executionId);
      return {
        poolSpecs: pools.map((pool) => ({
          poolSpecName: pool.label,
          cpuType: pool.cpuType,
          cpuCount: pool.cpuCount,
          gpuType: pool.gpuType,
          gpuCount: pool.gpuCount,
          ramGb: pool.ramGb,
          zones: pool.zones,
        })),
      };
    },
    getStorageCredentials: async (_request, ctx) => ({
      storage: await workflows.storageCredentials(userIdOf(ctx)),
    }),
  });
}
