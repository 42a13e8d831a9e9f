import { DomainError } from '@lzy/errors';
import type { DomainErrorCode } from '@lzy/errors';
import { toGrpcStatus } from '@lzy/grpc';
import type { googleAny, googleRpcStatus, longrunning } from '@lzy/proto';
import type { PackableMessage } from '@lzy/proto';
import type { Operation, OperationError, PackedMessage } from '../operation.ts';
import type { Idempotency } from '../operation-store.ts';
import { requestHash } from '../request-hash.ts';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Carries a stored error code through `toGrpcStatus`, the one domain → gRPC code table. */
class StoredOperationError extends DomainError {
  readonly code: DomainErrorCode;
  constructor(code: DomainErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Serializes a generated message for Operation.meta/response: `packMessage(X, { … })`. */
export function packMessage<T>(type: PackableMessage<T>, message: T): PackedMessage {
  return { typeName: type.$type, value: type.encode(message).finish() };
}

function toAny(message: PackedMessage): googleAny.Any {
  const { value } = message;
  return {
    typeUrl: TYPE_URL_PREFIX + message.typeName,
    value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  };
}

function toStatus(error: OperationError): googleRpcStatus.Status {
  const code =
    error.code === 'INTERNAL'
      ? toGrpcStatus(new Error(error.message), '').code
      : toGrpcStatus(new StoredOperationError(error.code, error.message), '').code;
  return { code, message: error.message, details: [] };
}

/**
 * The wire form of an operation (public-api §3.7): meta/response as google.protobuf.Any with
 * `type.googleapis.com/<full name>`, error as google.rpc.Status with the numeric gRPC code.
 */
export function toProtoOperation(op: Operation): longrunning.Operation {
  let result: longrunning.Operation['result'];
  if (op.error !== undefined) result = { $case: 'error', value: toStatus(op.error) };
  else if (op.response !== undefined) result = { $case: 'response', value: toAny(op.response) };
  return {
    id: op.id,
    description: op.description,
    createdAt: op.createdAt,
    createdBy: op.createdBy,
    modifiedAt: op.modifiedAt,
    done: op.done,
    metadata: op.meta === undefined ? undefined : toAny(op.meta),
    result,
  };
}

/**
 * The idempotency of a request (public-api §4.3): the `idempotency-key` header (`ctx.idempotencyKey`)
 * and the hash of the serialized request; undefined without a key.
 */
export function idempotencyOf<T>(
  key: string | undefined,
  type: PackableMessage<T>,
  request: T,
): Idempotency | undefined {
  if (key === undefined || key === '') return undefined;
  return { key, requestHash: requestHash(type.encode(request).finish()) };
}
