import { randomUUID } from 'node:crypto';
import {
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  ResourceExhausted,
  Unavailable,
} from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Clock, Operation, OperationRunner, OperationStore } from '@lzy/operations';
import type { Execution, ExecutionStore } from '../db/execution-store.ts';
import type { LzyServiceDb } from '../db/schema.ts';
import type { TeardownState } from './execution-teardown.ts';
import { ABORT_EXECUTION_KIND, FINISH_WORKFLOW_KIND } from './execution-teardown.ts';
import type { EndpointPolicy } from './endpoint-policy.ts';
import type { ExecutionActivity } from './execution-activity.ts';
import { LIMITS, checkId, checkLength, checkWorkflowName } from './input-limits.ts';
import { checkUserStorage } from './storage-scope.ts';
import type { Neighbours, StdChunk, StorageConfig, VmPool } from './ports.ts';

export interface WorkflowsDeps {
  neighbours: Neighbours;
  executions: ExecutionStore;
  /** Where users' own S3 endpoints may point (SSRF guard). */
  endpoints: EndpointPolicy;
  runner: OperationRunner<LzyServiceDb>;
  operations: OperationStore<LzyServiceDb>;
  clock: Clock;
  log: Logger;
  portalPool: string;
  portalAllocationTimeoutMs: number;
  /** Calls of clients for their executions (what the execution reaper reads). */
  activity: ExecutionActivity;
  /** RUN executions one user may have at once (LZY_MAX_ACTIVE_EXECUTIONS_PER_USER). */
  maxActiveExecutionsPerUser: number;
  /** How long AbortWorkflow waits for the teardown before it answers (it goes on after). */
  abortWaitMs?: number;
}

export const CANCELLED_BY_NEW_START = 'Cancelled by new execution start';

/** The user's internal bucket (public-api §3.5). */
export function internalBucketOf(userId: string): string {
  return `tmp-bucket-${userId}`;
}

/** NOT_FOUND message of the "execution check" (public-api §7.1). */
export function executionNotFound(executionId: string, userId: string): NotFound {
  return new NotFound(`Cannot find active execution '${executionId}' of user '${userId}'`);
}

/**
 * Workflow and execution lifetime (public-api §6.2): one active execution per (user, workflow);
 * Start provisions storage and the portal VM; Finish tears down in a durable operation; Abort
 * tears down at once.
 */
export class Workflows {
  readonly #deps: WorkflowsDeps;

  constructor(deps: WorkflowsDeps) {
    this.#deps = deps;
  }

  /**
   * The caller's active execution; the call counts as its client's activity (execution reaper).
   * @throws InvalidArgument for a malformed id; NotFound (the execution check; it names why the
   *   execution ended, e.g. that it was abandoned).
   */
  async requireActive(userId: string, executionId: string): Promise<Execution> {
    checkId(executionId, 'executionId');
    const execution = await this.#deps.executions.findActive(userId, executionId);
    if (execution === undefined) throw await this.#notFound(userId, executionId);
    await this.#deps.activity.touch(executionId);
    return execution;
  }

  /** The execution check's NOT_FOUND, with why the execution ended when it did. */
  async #notFound(userId: string, executionId: string): Promise<NotFound> {
    const reason = await this.#deps.executions.endReason(userId, executionId);
    const plain = executionNotFound(executionId, userId);
    return reason === undefined || reason === ''
      ? plain
      : new NotFound(`${plain.message}: it ended (${reason})`);
  }

  /**
   * Starts an execution; aborts (and tears down) the workflow's previous active one.
   * @throws InvalidArgument for a bad or empty workflow name or malformed user storage;
   *   PermissionDenied for a user S3 endpoint the services may not reach; neighbours' errors.
   */
  async start(
    userId: string,
    workflowName: string,
    userStorage: StorageConfig | undefined,
  ): Promise<{ executionId: string; internalStorage: StorageConfig | undefined }> {
    const { neighbours, executions, clock } = this.#deps;
    checkWorkflowName(workflowName);
    let portalEndpoint: string | undefined;
    if (userStorage !== undefined) {
      checkUserStorage(userStorage);
      if (userStorage.credentials?.$case === 's3') {
        const { endpoint } = userStorage.credentials.value;
        portalEndpoint = (await this.#deps.endpoints.check(endpoint)).portalEndpoint;
      }
    }
    const storage =
      userStorage ?? (await neighbours.storage.createStorage(userId, internalBucketOf(userId)));
    const executionId = randomUUID();
    const log = this.#deps.log.child({ executionId, workflowName });
    const max = this.#deps.maxActiveExecutionsPerUser;
    const started = await executions.start(
      {
        executionId,
        userId,
        workflowName,
        internalStorage: userStorage === undefined,
        storage,
        ...(portalEndpoint === undefined ? {} : { portalEndpoint }),
        now: new Date(clock.now()),
        maxActivePerUser: max,
      },
      CANCELLED_BY_NEW_START,
    );
    if ('overQuota' in started) {
      throw new ResourceExhausted(
        `User '${userId}' already has ${started.overQuota} active executions, the limit per user ` +
          `(LZY_MAX_ACTIVE_EXECUTIONS_PER_USER) is ${max}: finish or abort some of them ` +
          '(FinishWorkflow / AbortWorkflow) before starting another, or ask the operator to ' +
          'raise LZY_MAX_ACTIVE_EXECUTIONS_PER_USER',
      );
    }
    const { previous } = started;
    if (previous !== undefined) {
      log.info({ previous }, 'aborting the previous execution of the workflow');
      await this.#submitAbort(userId, previous, CANCELLED_BY_NEW_START);
    }
    try {
      await neighbours.access.grantWorkflowOwner(userId, workflowName);
      await this.#startPortal(executionId, userId, workflowName);
    } catch (err) {
      log.warn({ err }, 'start failed; tearing the execution down');
      await executions.fail(executionId, 'Start failed', new Date(clock.now()));
      await this.#submitAbort(userId, executionId, 'Start failed').catch((e: unknown) => {
        log.warn({ err: e }, 'cannot submit the teardown of a failed start');
      });
      throw err;
    }
    log.info('execution started');
    return { executionId, internalStorage: userStorage === undefined ? storage : undefined };
  }

  async #startPortal(executionId: string, userId: string, workflowName: string): Promise<void> {
    const { allocator } = this.#deps.neighbours;
    const sessionId = await allocator.createSession(
      `portal-${executionId}`,
      `portal of execution ${executionId}`,
      `session-${executionId}`,
      userId,
    );
    await this.#deps.executions.setSession(executionId, sessionId);
    const allocate = (attempt: number) =>
      allocator.allocatePortal({
        sessionId,
        pool: this.#deps.portalPool,
        env: {
          LZY_EXECUTION_ID: executionId,
          LZY_WORKFLOW_NAME: workflowName,
          LZY_USER_ID: userId,
        },
        idempotencyKey:
          attempt === 1 ? `portal-${executionId}` : `portal-${executionId}-${attempt}`,
        timeoutMs: this.#deps.portalAllocationTimeoutMs,
      });
    // A portal VM that dies while starting (the allocator fails it UNAVAILABLE with the VM's
    // last output) is replaced once; a second failure reaches the client as UNAVAILABLE with
    // that reason, which pylzy retries (spec §2.4).
    const portal = await allocate(1).catch((err: unknown) => {
      if (!(err instanceof Unavailable)) throw err;
      this.#deps.log.warn({ err, executionId }, 'the portal VM failed to start; trying another');
      return allocate(2);
    });
    await this.#deps.executions.setPortal(executionId, portal.vmId, portal.address);
  }

  /**
   * Ends the execution normally: returns the not-done Finish operation at once; a repeated Finish
   * of an execution already finishing or finished returns the same operation (public-api §7.3).
   * @throws InvalidArgument, NotFound (no such workflow), FailedPrecondition (not active).
   */
  async finish(
    userId: string,
    request: { workflowName: string; executionId: string; reason: string },
  ): Promise<Operation> {
    const { workflowName, executionId, reason } = request;
    requireNames(workflowName, executionId, reason);
    const operationId = randomUUID();
    const outcome = await this.#deps.executions.finish({
      userId,
      workflowName,
      executionId,
      status: 'COMPLETING',
      reason,
      finishOperationId: operationId,
      now: new Date(this.#deps.clock.now()),
    });
    switch (outcome.kind) {
      case 'NO_WORKFLOW':
        throw new NotFound(`Workflow '${workflowName}' not found`);
      case 'NOT_ACTIVE':
        throw notActive(executionId, workflowName);
      case 'ALREADY_FINISHING':
        return this.#submitFinish(userId, outcome.operationId, executionId, reason);
      case 'OK':
        return this.#submitFinish(userId, operationId, executionId, reason);
    }
  }

  /** Creates (or finds, after a crash between the two) the durable Finish operation. */
  async #submitFinish(
    userId: string,
    operationId: string,
    executionId: string,
    reason: string,
  ): Promise<Operation> {
    const existing = await this.#deps.operations.get(operationId).catch((err: unknown) => {
      if (err instanceof NotFound) return undefined;
      throw err;
    });
    if (existing !== undefined) return existing;
    const state: TeardownState = { executionId, reason, portalUnreachableSinceMs: 0 };
    const { operation } = await this.#deps.runner.submit(
      FINISH_WORKFLOW_KIND,
      {
        id: operationId,
        description: `Finish workflow: executionId=${executionId}`,
        createdBy: userId,
      },
      state,
    );
    return operation;
  }

  /** Marks the execution failed and tears it down before answering. */
  async abort(
    userId: string,
    request: { workflowName: string; executionId: string; reason: string },
  ): Promise<void> {
    const { workflowName, executionId, reason } = request;
    requireNames(workflowName, executionId, reason);
    const outcome = await this.#deps.executions.finish({
      userId,
      workflowName,
      executionId,
      status: 'ERROR',
      reason,
      now: new Date(this.#deps.clock.now()),
    });
    if (outcome.kind === 'NO_WORKFLOW') throw new NotFound(`Workflow '${workflowName}' not found`);
    if (outcome.kind !== 'OK') throw notActive(executionId, workflowName);
    const operation = await this.#submitAbort(userId, executionId, reason || 'Workflow aborted');
    // Answer once the teardown is done, or after a bound: it goes on durably either way.
    const waited = AbortSignal.timeout(this.#deps.abortWaitMs ?? 30_000);
    await this.#deps.operations.waitForDone(operation.id, waited).catch((err: unknown) => {
      if (!waited.aborted) throw err;
      this.#deps.log.warn({ executionId }, 'abort answered before its teardown ended');
    });
  }

  /**
   * Tears the execution down in a durable operation (portal Stop, no draining): a crash mid-way
   * resumes it after the restart, so its VMs, session and channels never leak.
   */
  async #submitAbort(userId: string, executionId: string, reason: string): Promise<Operation> {
    const state: TeardownState = { executionId, reason, portalUnreachableSinceMs: 0 };
    const { operation } = await this.#deps.runner.submit(
      ABORT_EXECUTION_KIND,
      {
        id: randomUUID(),
        description: `Abort execution: executionId=${executionId}`,
        createdBy: userId,
      },
      state,
    );
    return operation;
  }

  /** User (WORKER) pools; only for the caller's active execution. */
  async pools(userId: string, executionId: string): Promise<VmPool[]> {
    await this.requireActive(userId, executionId);
    return this.#deps.neighbours.allocator.listWorkerPools();
  }

  /**
   * The user's internal storage (python-client-protocol §2.3): also for a user who never ran a
   * workflow, whose bucket is created here, the same bucket and credentials StartWorkflow gives.
   * Concurrent first calls are safe: CreateStorage is idempotent.
   */
  async storageCredentials(userId: string): Promise<StorageConfig> {
    const { storage } = this.#deps.neighbours;
    const bucket = internalBucketOf(userId);
    try {
      return await storage.getStorageCredentials(userId, bucket);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
    this.#deps.log.info({ userId, bucket }, 'creating the storage of a user on first request');
    return storage.createStorage(userId, bucket);
  }

  /**
   * std chunks of every task of the execution, from the portal (from the start: a re-subscribed
   * client gets the lines again, as in LZY). Allowed while running or finishing.
   * @throws NotFound ('Portal not found.') when the execution has no portal.
   */
  async readStd(
    userId: string,
    executionId: string,
    signal: AbortSignal,
  ): Promise<AsyncIterable<StdChunk>> {
    checkId(executionId, 'executionId');
    const execution = await this.#deps.executions.get(executionId);
    if (execution?.userId !== userId || execution.status === 'COMPLETED') {
      throw executionNotFound(executionId, userId);
    }
    if (execution.portalAddress === undefined) throw new NotFound('Portal not found.');
    const chunks = this.#deps.neighbours.portal.readStd(execution.portalAddress, 0, signal);
    return this.#whileOpen(executionId, chunks);
  }

  /** While a client reads the std streams, its execution counts as active (execution reaper). */
  async *#whileOpen(executionId: string, chunks: AsyncIterable<StdChunk>) {
    const close = this.#deps.activity.openStream(executionId);
    try {
      await this.#deps.activity.touch(executionId);
      yield* chunks;
    } finally {
      close();
    }
  }
}

/**
 * Finish/Abort (public-api §7.1: blank names are INVALID_ARGUMENT). Only the length of the name
 * is checked beyond that: a stricter pattern could leave an execution started before it unable
 * to end.
 */
function requireNames(workflowName: string, executionId: string, reason: string): void {
  if (workflowName.trim() === '') throw new InvalidArgument('workflowName is empty');
  checkLength(workflowName, LIMITS.workflowNameChars, 'workflowName');
  checkId(executionId, 'executionId');
  checkLength(reason, LIMITS.reasonChars, 'reason');
}

function notActive(executionId: string, workflowName: string): FailedPrecondition {
  return new FailedPrecondition(
    `Execution '${executionId}' is not the active execution of workflow '${workflowName}'`,
  );
}
