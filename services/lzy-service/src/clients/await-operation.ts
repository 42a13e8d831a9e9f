import { Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { DeadlineExceeded, InvalidArgument } from '@lzy/errors';
import { fromGrpcError, serverStream } from '@lzy/grpc';
import { unpackAny } from '@lzy/proto';
import type { longrunning, operations, PackableMessage } from '@lzy/proto';

/**
 * Waits by push (OperationsService.WatchOperation) until `initial` is done and returns its
 * response as `type`. An operation error becomes the matching domain error.
 * @throws DeadlineExceeded after `timeoutMs`.
 */
export async function awaitOperation<T>(
  client: operations.OperationsServiceClient,
  initial: longrunning.Operation,
  type: PackableMessage<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let op = initial;
  if (!op.done) {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const stream = serverStream(
        client.watchOperation.bind(client),
        { operationId: op.id },
        { signal },
      );
      for await (const message of stream) {
        if (message.operation === undefined) continue;
        op = message.operation;
        if (op.done) break;
      }
    } catch (err) {
      if (signal.aborted) throw new DeadlineExceeded(`${what} did not finish in ${timeoutMs} ms`);
      throw err;
    }
    if (!op.done)
      throw new DeadlineExceeded(`${what}: the operation stream ended before it was done`);
  }
  const result = op.result;
  if (result?.$case === 'error') {
    const error = {
      code: result.value.code,
      details: result.value.message,
      metadata: new Metadata(),
    };
    const serviceError: ServiceError = Object.assign(new Error(result.value.message), error);
    throw fromGrpcError(serviceError);
  }
  const response = result?.$case === 'response' ? unpackAny(type, result.value) : undefined;
  if (response === undefined) throw new InvalidArgument(`${what}: unexpected operation response`);
  return response;
}
