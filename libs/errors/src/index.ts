/**
 * The closed set of domain errors (STYLE.md §4). Domain code throws only these; the gRPC server
 * bootstrap maps them to a status with `toGrpcStatus` (libs/grpc), one table for every service.
 * Anything else thrown reaches the wire as INTERNAL with a request id, never with its message.
 *
 * Messages are shown to users: say what is wrong and what to change.
 */
export type DomainErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'ABORTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED';

/** Base of every domain error. `code` selects the gRPC status; the message goes to the caller. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request itself is malformed or contradicts itself (bad id, missing field, bad graph). */
export class InvalidArgument extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}

/** The named resource (workflow, execution, VM, whiteboard, operation…) does not exist. */
export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

/** Creating a resource whose unique name or id is already taken. */
export class AlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
}

/** The caller is known but may not perform this action on this resource. */
export class PermissionDenied extends DomainError {
  readonly code = 'PERMISSION_DENIED' as const;
}

/** No credentials, or credentials that cannot be verified (bad signature, expired, unknown key). */
export class Unauthenticated extends DomainError {
  readonly code = 'UNAUTHENTICATED' as const;
}

/** The resource is in a state that does not allow the action (e.g. execution already finished). */
export class FailedPrecondition extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}

/** A quota or limit is reached (pool capacity, per-user VM limit). Retrying later may work. */
export class ResourceExhausted extends DomainError {
  readonly code = 'RESOURCE_EXHAUSTED' as const;
}

/** A concurrent change won (optimistic lock, serialization failure after retries). Retry. */
export class Aborted extends DomainError {
  readonly code = 'ABORTED' as const;
}

/** A dependency (database, another service, S3) cannot be reached now. Retry with backoff. */
export class Unavailable extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
}

/** The operation did not finish within its deadline. */
export class DeadlineExceeded extends DomainError {
  readonly code = 'DEADLINE_EXCEEDED' as const;
}

/** The operation was cancelled by the caller or by shutdown. */
export class Cancelled extends DomainError {
  readonly code = 'CANCELLED' as const;
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
