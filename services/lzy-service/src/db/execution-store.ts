import type { Kysely, Selectable } from 'kysely';
import { withTransaction } from '@lzy/db';
import { commonStorage } from '@lzy/proto';
import type { ExecutionStatus, ExecutionTable, LzyServiceDb } from './schema.ts';

type StorageConfig = commonStorage.StorageConfig;

export interface Execution {
  executionId: string;
  userId: string;
  workflowName: string;
  status: ExecutionStatus;
  internalStorage: boolean;
  storage: StorageConfig;
  sessionId: string | undefined;
  portalVmId: string | undefined;
  portalAddress: string | undefined;
  finishOperationId: string | undefined;
}

/** What `finish` found; only 'OK' changed anything. */
export type FinishOutcome =
  | { kind: 'OK' }
  | { kind: 'NO_WORKFLOW' }
  | { kind: 'NOT_ACTIVE' }
  /** A Finish already ran for this execution: its operation (public-api §7.3). */
  | { kind: 'ALREADY_FINISHING'; operationId: string };

function toExecution(row: Selectable<ExecutionTable>): Execution {
  return {
    executionId: row.execution_id,
    userId: row.user_id,
    workflowName: row.workflow_name,
    status: row.status,
    internalStorage: row.internal_storage,
    storage: commonStorage.StorageConfig.fromJSON(row.storage_config),
    sessionId: row.allocator_session_id ?? undefined,
    portalVmId: row.portal_vm_id ?? undefined,
    portalAddress: row.portal_address ?? undefined,
    finishOperationId: row.finish_operation_id ?? undefined,
  };
}

/** SQL of tables `workflow` and `execution`. */
export class ExecutionStore {
  readonly #db: Kysely<LzyServiceDb>;

  constructor(deps: { db: Kysely<LzyServiceDb> }) {
    this.#db = deps.db;
  }

  /**
   * Inserts a RUN execution and makes it the workflow's active one; the previous active
   * execution (returned) is marked ERROR with `previousReason` in the same transaction.
   */
  start(
    execution: {
      executionId: string;
      userId: string;
      workflowName: string;
      internalStorage: boolean;
      storage: StorageConfig;
      now: Date;
    },
    previousReason: string,
  ): Promise<string | undefined> {
    const { executionId, userId, workflowName, now } = execution;
    return withTransaction(this.#db, async (trx) => {
      await trx
        .insertInto('execution')
        .values({
          execution_id: executionId,
          user_id: userId,
          workflow_name: workflowName,
          status: 'RUN',
          internal_storage: execution.internalStorage,
          storage_config: JSON.stringify(commonStorage.StorageConfig.toJSON(execution.storage)),
          created_at: now,
        })
        .execute();
      const previous = await trx
        .selectFrom('workflow')
        .select('active_execution_id')
        .where('user_id', '=', userId)
        .where('workflow_name', '=', workflowName)
        .forUpdate()
        .executeTakeFirst();
      await trx
        .insertInto('workflow')
        .values({
          user_id: userId,
          workflow_name: workflowName,
          active_execution_id: executionId,
          created_at: now,
          modified_at: now,
        })
        .onConflict((oc) =>
          oc
            .columns(['user_id', 'workflow_name'])
            .doUpdateSet({ active_execution_id: executionId, modified_at: now }),
        )
        .execute();
      const previousId = previous?.active_execution_id ?? undefined;
      if (previousId !== undefined) {
        await trx
          .updateTable('execution')
          .set({ status: 'ERROR', finish_reason: previousReason, finished_at: now })
          .where('execution_id', '=', previousId)
          .where('status', '=', 'RUN')
          .execute();
      }
      return previousId;
    });
  }

  async setSession(executionId: string, sessionId: string): Promise<void> {
    await this.#db
      .updateTable('execution')
      .set({ allocator_session_id: sessionId })
      .where('execution_id', '=', executionId)
      .execute();
  }

  async setPortal(executionId: string, vmId: string, address: string): Promise<void> {
    await this.#db
      .updateTable('execution')
      .set({ portal_vm_id: vmId, portal_address: address })
      .where('execution_id', '=', executionId)
      .execute();
  }

  async get(executionId: string): Promise<Execution | undefined> {
    const row = await this.#db
      .selectFrom('execution')
      .selectAll()
      .where('execution_id', '=', executionId)
      .executeTakeFirst();
    return row === undefined ? undefined : toExecution(row);
  }

  /** The execution if it is the active one of a workflow of `userId`. */
  async findActive(userId: string, executionId: string): Promise<Execution | undefined> {
    const row = await this.#db
      .selectFrom('execution')
      .innerJoin('workflow', (join) =>
        join
          .onRef('workflow.active_execution_id', '=', 'execution.execution_id')
          .onRef('workflow.user_id', '=', 'execution.user_id'),
      )
      .selectAll('execution')
      .where('execution.execution_id', '=', executionId)
      .where('execution.user_id', '=', userId)
      .where('execution.status', '=', 'RUN')
      .executeTakeFirst();
    return row === undefined ? undefined : toExecution(row);
  }

  /**
   * Ends the active execution of (user, workflow): status `status` (COMPLETING for Finish,
   * ERROR for Abort), finish data set once, no longer active. A second Finish of an execution
   * already finishing or finished reports its operation instead.
   */
  finish(request: {
    userId: string;
    workflowName: string;
    executionId: string;
    status: 'COMPLETING' | 'ERROR';
    reason: string;
    finishOperationId?: string;
    now: Date;
  }): Promise<FinishOutcome> {
    const { userId, workflowName, executionId, now } = request;
    return withTransaction(this.#db, async (trx): Promise<FinishOutcome> => {
      const workflow = await trx
        .selectFrom('workflow')
        .select('active_execution_id')
        .where('user_id', '=', userId)
        .where('workflow_name', '=', workflowName)
        .forUpdate()
        .executeTakeFirst();
      if (workflow === undefined) return { kind: 'NO_WORKFLOW' };
      if (workflow.active_execution_id !== executionId) {
        const execution = await trx
          .selectFrom('execution')
          .select('finish_operation_id')
          .where('execution_id', '=', executionId)
          .where('user_id', '=', userId)
          .where('workflow_name', '=', workflowName)
          .executeTakeFirst();
        const operationId = execution?.finish_operation_id ?? undefined;
        if (request.status === 'COMPLETING' && operationId !== undefined) {
          return { kind: 'ALREADY_FINISHING', operationId };
        }
        return { kind: 'NOT_ACTIVE' };
      }
      await trx
        .updateTable('execution')
        .set({
          status: request.status,
          finish_reason: request.reason,
          finish_operation_id: request.finishOperationId ?? null,
          finished_at: now,
        })
        .where('execution_id', '=', executionId)
        .execute();
      await trx
        .updateTable('workflow')
        .set({ active_execution_id: null, modified_at: now })
        .where('user_id', '=', userId)
        .where('workflow_name', '=', workflowName)
        .execute();
      return { kind: 'OK' };
    });
  }

  /** Marks an execution whose start failed ERROR and inactive. */
  async fail(executionId: string, reason: string, now: Date): Promise<void> {
    await withTransaction(this.#db, async (trx) => {
      await trx
        .updateTable('execution')
        .set({ status: 'ERROR', finish_reason: reason, finished_at: now })
        .where('execution_id', '=', executionId)
        .where('status', '=', 'RUN')
        .execute();
      await trx
        .updateTable('workflow')
        .set({ active_execution_id: null, modified_at: now })
        .where('active_execution_id', '=', executionId)
        .execute();
    });
  }

  async setStatus(executionId: string, status: ExecutionStatus): Promise<void> {
    await this.#db
      .updateTable('execution')
      .set({ status })
      .where('execution_id', '=', executionId)
      .execute();
  }
}
