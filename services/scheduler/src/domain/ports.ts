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

/** How an Allocate operation ended; `code` is the operation error's gRPC code name. */
export type AllocationOutcome =
  | { readonly ok: true; readonly vmId: string; readonly vmAddress: string }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** The shape of a VM of one pool: what tasks on it share. */
export interface PoolShape {
  readonly label: string;
  readonly cpu: number;
  readonly gpu: number;
  readonly ramGb: number;
  readonly zones: readonly string[];
  /** VMs of the pool that may exist at once; 0: no cap. */
  readonly maxVms: number;
}

export interface AllocatorPort {
  /** Idempotent by owner (the Idempotency-Key). @returns the session id. */
  createSession(owner: string, idleTimeoutMs: number, signal: AbortSignal): Promise<string>;
  allocate(params: AllocateParams, signal: AbortSignal): Promise<StartedAllocation>;
  /** Waits (push, not polling) until the Allocate operation is done. */
  awaitAllocation(operationId: string, signal: AbortSignal): Promise<AllocationOutcome>;
  /** Returns the VM to its session's cache. NotFound once the VM is gone. */
  free(vmId: string, signal: AbortSignal): Promise<void>;
  /**
   * Push: resolves with why the VM was lost once the allocator has it DELETING, DEAD or
   * forgotten ('' when it gives no reason); stays pending while it lives. Rejects when
   * `signal` aborts; a broken watch is re-opened inside.
   */
  watchLoss(vmId: string, signal: AbortSignal): Promise<string>;
  /** The WORKER pools. */
  listPools(signal: AbortSignal): Promise<PoolShape[]>;
}

/** A task sent to a worker over its Dispatch stream. */
export interface RunRequest {
  readonly taskId: string;
  readonly executionId: string;
  /** Encoded ai.lzy.v1.common.TaskDesc. */
  readonly taskDesc: Uint8Array;
  readonly portalAddress: string;
  /** Known senders of input channels (channel id → slot URI). */
  readonly inputSenders: ReadonlyMap<string, string>;
  /** 1 for the first run, then 2, … */
  readonly attempt: number;
  /** The task's trace (W3C), for the worker's spans of it; undefined: none. */
  readonly traceContext?: { readonly traceparent: string; readonly tracestate: string } | undefined;
}

/** An output a task exposed on its worker (a consumer's input sender). */
export interface ExposedOutput {
  readonly channelId: string;
  readonly slotUri: string;
  readonly sizeBytes: number;
}

/** One event of a worker's Dispatch stream (worker.proto DispatchEvent). */
export type WorkerEvent =
  | { readonly kind: 'started'; readonly taskId: string }
  | { readonly kind: 'exited'; readonly taskId: string; readonly outputs: readonly ExposedOutput[] }
  | {
      readonly kind: 'done';
      readonly taskId: string;
      readonly rc: number;
      readonly description: string;
    };

/**
 * The long-lived Dispatch stream to one worker VM. Sends are queued while the stream is down
 * and runs not yet answered with `done` are sent again after every reconnect (the worker
 * ignores a task it knows and reports what it knows first).
 */
export interface WorkerLink {
  run(request: RunRequest): void;
  stop(taskId: string, reason: string): void;
  /** Ends the stream for good. Idempotent. */
  close(): void;
}

export interface WorkerLinkHandlers {
  onEvent(event: WorkerEvent): void;
  /** The stream broke (it is re-opened with backoff); `err` is why. */
  onBroken(err: unknown): void;
  /** The worker refused the owner (it serves another user or workflow): the VM is unusable. */
  onRefused(message: string): void;
}

export interface WorkerLinkFactory {
  open(
    vm: { vmId: string; address: string },
    owner: { userId: string; workflowName: string },
    handlers: WorkerLinkHandlers,
  ): WorkerLink;
}

/**
 * Lines the scheduler adds to what the user reads of a task's output (the portal's std log,
 * ReadStdSlots), e.g. that an attempt was lost and the task runs again. Best effort: never
 * throws, never delays the caller.
 */
export interface UserNoticePort {
  stderrLine(portalAddress: string, taskId: string, line: string): void;
}
