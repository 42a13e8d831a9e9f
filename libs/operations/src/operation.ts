import type { DomainErrorCode } from '@lzy/errors';

/** Source of the current time (ms since the epoch); tests inject a fake one. */
export interface Clock {
  now(): number;
}

/**
 * A serialized protobuf message with its full type name (`ai.lzy.v1.workflow.FinishWorkflowResponse`),
 * i.e. a `google.protobuf.Any` without the URL prefix. Domain code stays free of proto types; the
 * rpc adapter builds the Any.
 */
export interface PackedMessage {
  readonly typeName: string;
  readonly value: Uint8Array;
}

/**
 * Codes an operation can fail with: the domain codes plus INTERNAL (a bug or an unexpected
 * failure; the message is generic, details are in the log). Stored by name, sent as the numeric
 * gRPC code in `google.rpc.Status`.
 */
export type OperationErrorCode = DomainErrorCode | 'INTERNAL';

export interface OperationError {
  readonly code: OperationErrorCode;
  /** Shown to the caller: what went wrong and what to do. */
  readonly message: string;
}

/** A long-running operation (reference §1.1). Exactly one of response/error is set once done. */
export interface Operation {
  readonly id: string;
  readonly description: string;
  /** Subject id of the caller that started it; only that subject may Get/Cancel it over gRPC. */
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly modifiedAt: Date;
  /** After this instant the step runner fails the operation with DEADLINE_EXCEEDED. */
  readonly deadline: Date | undefined;
  readonly done: boolean;
  readonly meta: PackedMessage | undefined;
  readonly response: PackedMessage | undefined;
  readonly error: OperationError | undefined;
}

/** JSON-serializable value (the step runner's persisted state). */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
