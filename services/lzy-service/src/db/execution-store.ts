import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { SecretBox } from '@lzy/auth';
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
  /** The storage as the user gave it (or the internal one): what pylzy signs URLs for. */
  storage: StorageConfig;
  /**
   * The same storage as the portal reaches it: a user's plain-http endpoint pinned to the
   * address EndpointPolicy checked at start (DNS rebinding); otherwise equal to `storage`.
   */
  portalStorage: StorageConfig;
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

/** What execution.storage_config seals (protobuf-JSON storage, the portal's endpoint). */
interface StoredStorage {
  storage: unknown;
  portalEndpoint: string;
}

/** Domain view of the column `{ uri, sealed }` (or a legacy row: plain protobuf-JSON). */
function storageOf(row: Selectable<ExecutionTable>, box: SecretBox) {
  const column = row.storage_config as { sealed?: unknown };
  const stored: StoredStorage =
    typeof column.sealed === 'string'
      ? (JSON.parse(box.open(column.sealed, contextOf(row.execution_id))) as StoredStorage)
      : {
          storage: column,
          portalEndpoint: endpointOf(commonStorage.StorageConfig.fromJSON(column)),
        };
  const storage = commonStorage.StorageConfig.fromJSON(stored.storage);
  return { storage, portalStorage: withEndpoint(storage, stored.portalEndpoint) };
}

function endpointOf(storage: StorageConfig): string {
  return storage.credentials?.$case === 's3' ? storage.credentials.value.endpoint : '';
}

function withEndpoint(storage: StorageConfig, endpoint: string): StorageConfig {
  if (storage.credentials?.$case !== 's3') return storage;
  const s3 = { ...storage.credentials.value, endpoint };
  return { ...storage, credentials: { $case: 's3', value: s3 } };
}

const contextOf = (executionId: string) => `execution:${executionId}`;

/**
 * The storage_config column: the uri in clear (operators read it), the credentials only inside
 * `sealed` (SecretBox, bound to the execution id).
 */
function sealedColumn(
  box: SecretBox,
  executionId: string,
  storage: StorageConfig,
  portalEndpoint: string,
): string {
  const stored: StoredStorage = {
    storage: commonStorage.StorageConfig.toJSON(storage),
    portalEndpoint,
  };
  return JSON.stringify({
    uri: storage.uri,
    sealed: box.seal(JSON.stringify(stored), contextOf(executionId)),
  });
}

function toExecution(row: Selectable<ExecutionTable>, box: SecretBox): Execution {
  return {
    executionId: row.execution_id,
    userId: row.user_id,
    workflowName: row.workflow_name,
    status: row.status,
    internalStorage: row.internal_storage,
    ...storageOf(row, box),
    sessionId: row.allocator_session_id ?? undefined,
    portalVmId: row.portal_vm_id ?? undefined,
    portalAddress: row.portal_address ?? undefined,
    finishOperationId: row.finish_operation_id ?? undefined,
  };
}

/** SQL of tables `workflow` and `execution`; storage credentials sealed with `box`. */
export class ExecutionStore {
  readonly #db: Kysely<LzyServiceDb>;
  readonly #box: SecretBox;

  constructor(deps: { db: Kysely<LzyServiceDb>; box: SecretBox }) {
    this.#db = deps.db;
    this.#box = deps.box;
  }

  /**
   * Seals every execution's credentials that are stored in plain text (rows written before
   * sealing) or sealed with a key that no longer seals (after a key rotation). Idempotent; run at
   * start-up. A row that does not open (its key was dropped) is reported and skipped, never
   * retried forever. Returns how many rows it rewrote.
   */
  async resealStorage(onUnreadable: (executionId: string, err: unknown) => void): Promise<number> {
    const prefix = this.#box.sealingPrefix;
    let after = '';
    let total = 0;
    for (;;) {
      const rows = await this.#db
        .selectFrom('execution')
        .selectAll()
        .where('execution_id', '>', after)
        .where(
          sql<boolean>`coalesce(left(storage_config->>'sealed', ${prefix.length}) <> ${prefix}, true)`,
        )
        .orderBy('execution_id')
        .limit(500)
        .execute();
      if (rows.length === 0) return total;
      for (const row of rows) {
        after = row.execution_id;
        let column: string;
        try {
          const { storage, portalStorage } = storageOf(row, this.#box);
          column = sealedColumn(this.#box, row.execution_id, storage, endpointOf(portalStorage));
        } catch (err) {
          onUnreadable(row.execution_id, err);
          continue;
        }
        await this.#db
          .updateTable('execution')
          .set({ storage_config: column })
          .where('execution_id', '=', row.execution_id)
          .execute();
        total += 1;
      }
    }
  }

  /**
   * Inserts a RUN execution and makes it the workflow's active one; the previous active
   * execution (`previous`) is marked ERROR with `previousReason` in the same transaction.
   * With `maxActivePerUser`, nothing changes when the user already has that many RUN executions
   * besides the one this start replaces (`overQuota`: their count). Starts of one user are
   * serialised by an advisory lock, so concurrent starts cannot pass the quota together.
   */
  start(
    execution: {
      executionId: string;
      userId: string;
      workflowName: string;
      internalStorage: boolean;
      storage: StorageConfig;
      /** The endpoint the portal uses (EndpointPolicy); default the storage's own. */
      portalEndpoint?: string;
      now: Date;
      maxActivePerUser?: number;
    },
    previousReason: string,
  ): Promise<{ previous: string | undefined } | { overQuota: number }> {
    const { executionId, userId, workflowName, now, maxActivePerUser } = execution;
    return withTransaction(
      this.#db,
      async (trx) => {
        if (maxActivePerUser !== undefined) {
          await sql`SELECT pg_advisory_xact_lock(hashtext(${`lzy-active-executions:${userId}`}))`.execute(
            trx,
          );
          const { active } = await trx
            .selectFrom('execution')
            .select((eb) => eb.fn.countAll<string>().as('active'))
            .where('user_id', '=', userId)
            .where('status', '=', 'RUN')
            // Not the execution this start replaces (the workflow's active one).
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('workflow')
                    .select('workflow.user_id')
                    .whereRef('workflow.active_execution_id', '=', 'execution.execution_id')
                    .where('workflow.user_id', '=', userId)
                    .where('workflow.workflow_name', '=', workflowName),
                ),
              ),
            )
            .executeTakeFirstOrThrow();
          if (Number(active) >= maxActivePerUser) return { overQuota: Number(active) };
        }
        await trx
          .insertInto('execution')
          .values({
            execution_id: executionId,
            user_id: userId,
            workflow_name: workflowName,
            status: 'RUN',
            internal_storage: execution.internalStorage,
            storage_config: sealedColumn(
              this.#box,
              executionId,
              execution.storage,
              execution.portalEndpoint ?? endpointOf(execution.storage),
            ),
            created_at: now,
            last_activity_at: now,
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
        return { previous: previousId };
        // Read committed: the count after the lock sees starts committed while it waited.
      },
      { isolation: 'read committed' },
    );
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
    return row === undefined ? undefined : toExecution(row, this.#box);
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
    return row === undefined ? undefined : toExecution(row, this.#box);
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

  /** Records a call of the executions' client: `last_activity_at` of those still RUN. */
  async touch(executionIds: readonly string[], now: Date): Promise<void> {
    if (executionIds.length === 0) return;
    await this.#db
      .updateTable('execution')
      .set({ last_activity_at: now })
      .where('execution_id', 'in', executionIds)
      .where('status', '=', 'RUN')
      .where('last_activity_at', '<', now)
      .execute();
  }

  /**
   * Ends RUN executions whose client made no call since `idleSince` (at most `limit`, oldest
   * first, none of `exclude`): each is marked ERROR with `reason` and is no longer its workflow's
   * active one, and `onAbandoned` runs in the same transaction (it creates the teardown), so an
   * execution is never marked without its teardown. Rows another replica is claiming are skipped
   * (`FOR UPDATE SKIP LOCKED`). Returns the abandoned executions.
   */
  abandonIdle(
    request: {
      idleSince: Date;
      now: Date;
      reason: string;
      exclude: readonly string[];
      limit: number;
    },
    onAbandoned: (
      trx: Kysely<LzyServiceDb>,
      execution: { executionId: string; userId: string },
    ) => Promise<void>,
  ): Promise<{ executionId: string; userId: string }[]> {
    const { idleSince, now, reason, exclude, limit } = request;
    return withTransaction(
      this.#db,
      async (trx) => {
        let query = trx
          .selectFrom('execution')
          .select(['execution_id', 'user_id'])
          .where('status', '=', 'RUN')
          .where('last_activity_at', '<', idleSince)
          .orderBy('last_activity_at')
          .limit(limit)
          .forUpdate()
          .skipLocked();
        if (exclude.length > 0) query = query.where('execution_id', 'not in', exclude);
        const rows = await query.execute();
        const abandoned = [];
        for (const row of rows) {
          await trx
            .updateTable('execution')
            .set({ status: 'ERROR', finish_reason: reason, finished_at: now })
            .where('execution_id', '=', row.execution_id)
            .execute();
          await trx
            .updateTable('workflow')
            .set({ active_execution_id: null, modified_at: now })
            .where('active_execution_id', '=', row.execution_id)
            .execute();
          const execution = { executionId: row.execution_id, userId: row.user_id };
          await onAbandoned(trx, execution);
          abandoned.push(execution);
        }
        return abandoned;
        // Read committed: a row touched meanwhile is re-checked under its lock and skipped.
      },
      { isolation: 'read committed' },
    );
  }

  /** Why an execution of `userId` ended (its finish reason), if it exists and has one. */
  async endReason(userId: string, executionId: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('execution')
      .select('finish_reason')
      .where('execution_id', '=', executionId)
      .where('user_id', '=', userId)
      .where('status', '<>', 'RUN')
      .executeTakeFirst();
    return row?.finish_reason ?? undefined;
  }
}
