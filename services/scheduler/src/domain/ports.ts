/**
 * What the scheduler needs from its neighbours, as interfaces so the rules do not know gRPC.
 * Implementations: src/clients/*. Every method throws @lzy/errors (Unavailable and Aborted are
 * retried by the caller; other domain errors are answers) or GrpcCallError (retried).
 */

export interface AllocateParams {
  readonly sessionId: string;
  readonly poolLabel: string;
  readonly zone: string;
  /** Sent as Idempotency-Key: a retried Allocate returns the same operation. */
  readonly idempotencyKey: string;
}

export interface StartedAllocation {
  readonly operationId: string;
  /** From AllocateMetadata; known from the start. */
  readonly vmId: string | undefined;
}

/** How an Allocate operation ended. */
export type AllocationOutcome =
  | { readonly ok: true; readonly vmId: string; readonly vmAddress: string }
  | { readonly ok: false; readonly message: string };

export interface AllocatorPort {
  /** Idempotent by owner (the Idempotency-Key). @returns the session id. */
  createSession(owner: string, idleTimeoutMs: number, signal: AbortSignal): Promise<string>;
  allocate(params: AllocateParams, signal: AbortSignal): Promise<StartedAllocation>;
  /** Waits (push, not polling) until the Allocate operation is done. */
  awaitAllocation(operationId: string, signal: AbortSignal): Promise<AllocationOutcome>;
  /** Returns the VM to its session's cache. NotFound once the VM is gone. */
  free(vmId: string, signal: AbortSignal): Promise<void>;
  /**
   * undefined while the allocator has the VM running; once it is deleting, dead or unknown, why
   * it was lost (the allocator's delete reason, '' when it has none).
   */
  vmLoss(vmId: string, signal: AbortSignal): Promise<string | undefined>;
}

export interface ExecuteParams {
  readonly taskId: string;
  readonly executionId: string;
  readonly taskDesc: Uint8Array;
  readonly portalAddress: string;
}

export type ExecutionEvent =
  | { readonly kind: 'started' }
  | { readonly kind: 'finished'; readonly rc: number; readonly description: string };

/** One worker (the agent on a VM), reached at its address. */
export interface WorkerConnection {
  init(
    params: { userId: string; workflowName: string; executionId: string },
    signal: AbortSignal,
  ): Promise<void>;
  /** Idempotent on the task id (sent as Idempotency-Key). */
  execute(params: ExecuteParams, signal: AbortSignal): Promise<void>;
  /** started / finished events of the task; other events (std chunks) are skipped. */
  watchExecution(taskId: string, signal: AbortSignal): AsyncIterable<ExecutionEvent>;
  stop(taskId: string, reason: string, signal: AbortSignal): Promise<void>;
  close(): void;
}

export interface WorkerPort {
  connect(address: string): WorkerConnection;
}
