import { InvalidArgument, NotFound } from '@lzy/errors';
import { implement } from '@lzy/grpc';
import type { CallContext, ServiceRegistration } from '@lzy/grpc';
import { toProtoOperation } from '@lzy/operations';
import type { InMemoryOperations as OperationRegistry, Operation } from '@lzy/operations';
import { longrunning, operations } from '@lzy/proto';

/** Only the creator sees an operation; others get NOT_FOUND like an unknown id (public-api §7.1). */
function visible(registry: OperationRegistry, ctx: CallContext, id: string): Operation {
  const op = registry.get(id);
  if (op.createdBy !== ctx.subject?.id) throw new NotFound(`Operation ${id} not found`);
  return op;
}

/**
 * ai.lzy.v1.longrunning.LongRunningService over the in-memory registry: Get; Cancel is
 * INVALID_ARGUMENT (use WorkerService.Stop, which kills the command); List UNIMPLEMENTED.
 */
export function longRunningService(registry: OperationRegistry): ServiceRegistration {
  return implement(longrunning.LongRunningServiceService, {
    get: (request, ctx) =>
      Promise.resolve(toProtoOperation(visible(registry, ctx, request.operationId))),
    cancel: (request, ctx) => {
      visible(registry, ctx, request.operationId);
      return Promise.reject(
        new InvalidArgument('worker operations are cancelled with WorkerService.Stop(task_id)'),
      );
    },
    list: 'unimplemented',
  });
}

/** lzy.internal.operations.v1.OperationsService.WatchOperation over the in-memory registry. */
export function operationsService(registry: OperationRegistry): ServiceRegistration {
  return implement(operations.OperationsServiceService, {
    watchOperation: async (request, ctx, send) => {
      visible(registry, ctx, request.operationId);
      for await (const op of registry.watch(request.operationId, ctx.signal))
        await send({ operation: toProtoOperation(op) });
    },
  });
}
