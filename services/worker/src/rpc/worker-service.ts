import { implement, requireServiceCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { toProtoOperation } from '@lzy/operations';
import { worker } from '@lzy/proto';
import type { ExecutionEvent } from '../domain/task-record.ts';
import type { Worker } from '../domain/worker.ts';
import { DispatchLinks } from './dispatch-link.ts';

function toProtoEvent(event: ExecutionEvent): worker.WatchExecutionResponse {
  switch (event.kind) {
    case 'started':
      return { event: { $case: 'started', value: {} } };
    case 'stdout':
    case 'stderr':
      return {
        event: { $case: event.kind, value: { offset: event.offset, data: event.data } },
      };
    case 'finished':
      return {
        event: { $case: 'finished', value: { rc: event.rc, description: event.description } },
      };
  }
}

/** lzy.internal.worker.v1.WorkerService (worker.proto): internal callers only. */
export function workerService(domain: Worker): ServiceRegistration {
  const links = new DispatchLinks(domain);
  return implement(worker.WorkerServiceService, {
    init: (request, ctx) => {
      requireServiceCaller(ctx);
      domain.init({ userId: request.userId, workflowName: request.workflowName });
      return Promise.resolve({});
    },
    dispatch: (requests, ctx, send) => {
      requireServiceCaller(ctx);
      return links.serve(requests, ctx, send);
    },
    execute: (request, ctx) => {
      requireServiceCaller(ctx);
      const op = domain.execute(
        {
          taskId: request.taskId,
          executionId: request.executionId,
          taskDesc: request.taskDesc ?? { operation: undefined, slotAssignments: [] },
          portalAddress: request.portalAddress,
        },
        ctx.subject?.id ?? '',
      );
      return Promise.resolve(toProtoOperation(op));
    },
    stop: (request, ctx) => {
      requireServiceCaller(ctx);
      domain.stop(request.taskId, request.reason);
      return Promise.resolve({});
    },
    watchExecution: async (request, ctx, send) => {
      requireServiceCaller(ctx);
      const record = domain.record(request.taskId);
      const offsets = { stdout: request.stdoutOffset, stderr: request.stderrOffset };
      for await (const event of record.watch(offsets, ctx.signal)) await send(toProtoEvent(event));
    },
  });
}
