import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { operations } from '@lzy/proto';
import { getVisibleOperation, onlyCreator } from './operation-access.ts';
import type { OperationDatabase } from '../operation-row.ts';
import type { OperationServiceDeps } from './operation-access.ts';
import { toProtoOperation } from './operation-proto.ts';

/**
 * `lzy.internal.operations.v1.OperationsService`: WatchOperation, the push twin of
 * LongRunningService.Get. Sends the current operation, then each change (metadata update,
 * completion) as the store's waiters are woken (in-process or by NOTIFY from another instance),
 * and ends with OK after the done version. Same visibility rule as Get.
 */
export function operationsService<DB extends OperationDatabase>(
  deps: OperationServiceDeps<DB>,
): ServiceRegistration {
  const { store } = deps;
  const canAccess = deps.canAccess ?? onlyCreator;
  return implement(operations.OperationsServiceService, {
    watchOperation: async (request, ctx, send) => {
      const { operationId } = request;
      await getVisibleOperation(store, canAccess, ctx.subject, operationId);
      for await (const op of store.watch(operationId, ctx.signal)) {
        await send({ operation: toProtoOperation(op) });
      }
    },
  });
}
