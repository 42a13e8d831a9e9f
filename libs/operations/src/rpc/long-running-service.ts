import { InvalidArgument } from '@lzy/errors';
import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { longrunning } from '@lzy/proto';
import { getVisibleOperation, onlyCreator } from './operation-access.ts';
import type { OperationDatabase } from '../operation-row.ts';
import type { OperationServiceDeps } from './operation-access.ts';
import { toProtoOperation } from './operation-proto.ts';

/**
 * `ai.lzy.v1.longrunning.LongRunningService` over a service's operation table (reference §1.4,
 * public-api §3.2, §7.1), for `startGrpcServer({ services: [longRunningService({ store })] })`:
 * - Get: the operation; NOT_FOUND if unknown or created by another subject.
 * - Cancel: marks it failed with CANCELLED(message) (the owner's runner stops at its next step
 *   boundary); NOT_FOUND as Get; INVALID_ARGUMENT if already done.
 * - List: UNIMPLEMENTED, as in Java.
 */
export function longRunningService<DB extends OperationDatabase>(
  deps: OperationServiceDeps<DB>,
): ServiceRegistration {
  const { store } = deps;
  const canAccess = deps.canAccess ?? onlyCreator;
  return implement(longrunning.LongRunningServiceService, {
    get: async (request, ctx) =>
      toProtoOperation(
        await getVisibleOperation(store, canAccess, ctx.subject, request.operationId),
      ),
    cancel: async (request, ctx) => {
      const { operationId, message } = request;
      const op = await getVisibleOperation(store, canAccess, ctx.subject, operationId);
      const alreadyDone = new InvalidArgument(`Operation ${operationId} is already done`);
      if (op.done) throw alreadyDone;
      const outcome = await store.cancel(operationId, message || 'Cancelled by the caller');
      if (!outcome.completed) throw alreadyDone;
      return toProtoOperation(outcome.operation);
    },
    list: 'unimplemented',
  });
}
