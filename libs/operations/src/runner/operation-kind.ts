import type { Logger } from '@lzy/logging';
import type { JsonObject, Operation, OperationError, PackedMessage } from '../operation.ts';

/**
 * What a step asks the runner to do next:
 * - `'continue'`: persist progress and run the next step;
 * - `{ restartAfterMs }`: persist the state and run this same step again after the delay (polling
 *   something external: VM registration, another service's operation);
 * - `{ finish }` / `{ fail }`: complete the operation (first writer wins) and stop.
 */
export type StepResult =
  | 'continue'
  | { readonly restartAfterMs: number }
  | { readonly finish: PackedMessage }
  | { readonly fail: OperationError };

export interface StepContext<S extends JsonObject> {
  /** The operation as loaded when this step started. */
  readonly operation: Operation;
  /**
   * The kind's JSON state, persisted together with the step index at every step boundary. Mutate
   * it to hand data to later steps, including across a restart of the service.
   */
  readonly state: S;
  /**
   * Aborted when the runner stops (return at the next safe point: the step runs again after the
   * restart) or when the operation was finished by someone else (e.g. Cancel).
   */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * One step of a durable operation. Steps MUST be idempotent: a crash between a step's side effect
 * and the persisting of its result runs it again after a restart (at-least-once). Typical shape:
 * look up what a previous attempt already did (by deterministic name or idempotency key), do only
 * the rest, record ids in `state`.
 *
 * Throwing: UNAVAILABLE / ABORTED domain errors and unexpected errors are retried with backoff
 * (unexpected ones a bounded number of times, then INTERNAL); any other domain error fails the
 * operation with its code and message.
 */
export interface OperationStep<S extends JsonObject> {
  readonly name: string;
  run(ctx: StepContext<S>): Promise<StepResult>;
}

/** A registered kind of durable operation: its steps, run in order. */
export interface OperationKind<S extends JsonObject> {
  /** Stored in the row (`kind`); keep it stable across releases. */
  readonly name: string;
  readonly steps: readonly OperationStep<S>[];
  /**
   * Runs (best effort) after the runner failed an operation with DEADLINE_EXCEEDED, to release
   * what the steps acquired. Must be idempotent.
   */
  onExpired?(operation: Operation, state: S): Promise<void>;
}
