import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import {
  Aborted,
  AlreadyExists,
  Cancelled,
  DeadlineExceeded,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  Unauthenticated,
  Unavailable,
  isDomainError,
} from '@lzy/errors';
import type { DomainError, DomainErrorCode } from '@lzy/errors';

/** The one table from domain error to gRPC status (STYLE.md §4). */
const STATUS_OF: Readonly<Record<DomainErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  ABORTED: status.ABORTED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
};

/** A gRPC status ready for the wire. */
export interface GrpcStatus {
  code: status;
  details: string;
}

/**
 * Maps anything a handler throws to the status sent to the caller. A DomainError keeps its message
 * (it is written for the user); anything else becomes INTERNAL "internal error (request <rid>)" so
 * no internal detail reaches the wire; the bootstrap logs the original with its stack.
 */
export function toGrpcStatus(err: unknown, requestId: string): GrpcStatus {
  if (isDomainError(err)) return { code: STATUS_OF[err.code], details: err.message };
  return { code: status.INTERNAL, details: `internal error (request ${requestId})` };
}

/** Name of a status code as in the gRPC spec (`NOT_FOUND`), for logs and metric labels. */
export function statusName(code: status): string {
  return status[code] ?? `CODE_${code}`;
}

/**
 * A failed downstream call whose code has no domain meaning (INTERNAL, UNKNOWN, UNIMPLEMENTED,
 * DATA_LOSS): not a DomainError, so a handler that lets it escape answers INTERNAL itself.
 */
export class GrpcCallError extends Error {
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
  constructor(code: status, details: string, metadata: Metadata, options?: { cause?: unknown }) {
    super(`${statusName(code)}: ${details}`, options);
    this.name = 'GrpcCallError';
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

/** True for errors produced by grpc-js client calls. */
export function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    'details' in err
  );
}

/**
 * Converts a grpc-js client error into our errors, so a caller service can rethrow a downstream
 * NOT_FOUND as NotFound, UNAVAILABLE as Unavailable, … with the downstream message. Codes without
 * a domain meaning become GrpcCallError (→ INTERNAL if rethrown). The original is the `cause`.
 */
export function fromGrpcError(err: ServiceError): DomainError | GrpcCallError {
  const options = { cause: err };
  const details = err.details;
  const code = err.code;
  switch (code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return new InvalidArgument(details, options);
    case status.NOT_FOUND:
      return new NotFound(details, options);
    case status.ALREADY_EXISTS:
      return new AlreadyExists(details, options);
    case status.PERMISSION_DENIED:
      return new PermissionDenied(details, options);
    case status.UNAUTHENTICATED:
      return new Unauthenticated(details, options);
    case status.FAILED_PRECONDITION:
      return new FailedPrecondition(details, options);
    case status.RESOURCE_EXHAUSTED:
      return new ResourceExhausted(details, options);
    case status.ABORTED:
      return new Aborted(details, options);
    case status.UNAVAILABLE:
      return new Unavailable(details, options);
    case status.DEADLINE_EXCEEDED:
      return new DeadlineExceeded(details, options);
    case status.CANCELLED:
      return new Cancelled(details, options);
    case status.OK:
    case status.UNKNOWN:
    case status.INTERNAL:
    case status.UNIMPLEMENTED:
    case status.DATA_LOSS:
      break;
  }
  // Also reached for numbers outside the enum (a newer peer).
  return new GrpcCallError(code, details, err.metadata ?? new Metadata(), options);
}
