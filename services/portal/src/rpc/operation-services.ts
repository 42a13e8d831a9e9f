import { implement, requireServiceCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { toProtoOperation } from '@lzy/operations';
import type { InMemoryOperations as LocalOperations } from '@lzy/operations';
import { longrunning, operations } from '@lzy/proto';

/** LongRunningService (Get) and OperationsService (WatchOperation) over the portal's operations. */
export function operationServices(ops: LocalOperations): ServiceRegistration[] {
  return [
    implement(longrunning.LongRunningServiceService, {
      get: (request, ctx) => {
        requireServiceCaller(ctx);
        return Promise.resolve(toProtoOperation(ops.get(request.operationId)));
      },
      cancel: 'unimplemented',
      list: 'unimplemented',
    }),
    implement(operations.OperationsServiceService, {
      watchOperation: async (request, ctx, send) => {
        requireServiceCaller(ctx);
        for await (const op of ops.watch(request.operationId, ctx.signal))
          await send({ operation: toProtoOperation(op) });
      },
    }),
  ];
}
