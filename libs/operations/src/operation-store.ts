import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { Aborted, FailedPrecondition, InvalidArgument, NotFound } from '@lzy/errors';
import { withTransaction } from '@lzy/db';
import type { NotificationListener } from '@lzy/db';
import type { Clock, JsonObject, Operation, OperationError, PackedMessage } from './operation.ts';
import { OperationWaiters } from './operation-waiters.ts';
import { waitForDone, watchOperation } from './operation-watch.ts';
import { toBytea, toOperation } from './operation-row.ts';
import { asOperationDb } from './operation-row.ts';
import type { OperationDatabase, OperationDb } from './operation-row.ts';

export interface OperationStoreDeps<DB extends OperationDatabase = OperationDatabase> {
  /** The service's database (its type includes `operation`: `interface Db extends OperationDatabase`). */
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  /**
   * NOTIFY channel carrying ids of finished operations. NOTIFY is scoped to a database, and each
   * service has its own, so the default is per service already. Default `lzy_operation_done`.
   */
  readonly channel?: string;
}

export interface NewOperation {
  /** Default: a random UUID. */
  readonly id?: string;
  readonly description: string;
  /** Subject id of the caller. Scopes the idempotency key and gates Get/Cancel. */
  readonly createdBy: string;
  readonly meta?: PackedMessage;
  readonly deadline?: Date;
  /** Step runner kind and initial state; set by OperationRunner.submit, not by hand. */
  readonly kind?: string;
  readonly state?: JsonObject;
}

/** The `Idempotency-Key` header and `requestHash(serialized request)` (public-api §4.3). */
export interface Idempotency {
  readonly key: string;
  readonly requestHash: string;
}

export interface CreateResult {
  readonly operation: Operation;
  /** False when an earlier request with the same key and hash created it: do not start work. */
  readonly created: boolean;
}

export interface CompletionResult {
  /** The stored operation after the call: this call's outcome, or the earlier winner's. */
  readonly operation: Operation;
  /** True when this call finished the operation; false when it was already done. */
  readonly completed: boolean;
}

/**
 * SQL for the `operation` table (reference §1.3) plus waiting for completion.
 *
 * Every method accepts an optional `trx` (a transaction of the service's own database, which
 * includes `operation`) so a service can create or finish an operation atomically with its own
 * rows. Without `trx` each call runs in its own READ COMMITTED transaction.
 *
 * Completion is first-writer-wins: complete/fail/cancel update only a row that is not done yet,
 * in one conditional UPDATE; a later call changes nothing and returns the stored outcome. Each
 * completion sends `pg_notify(channel, id)` in its transaction (delivered at commit), which wakes
 * `waitForDone` in every process listening (`listenForCompletions`); completions made without
 * `trx` also wake this process's waiters directly.
 */
export class OperationStore<DB extends OperationDatabase = OperationDatabase> {
  readonly #db: OperationDb;
  readonly #clock: Clock;
  readonly #channel: string;
  readonly #waiters = new OperationWaiters();

  constructor(deps: OperationStoreDeps<DB>) {
    this.#db = asOperationDb(deps.db);
    this.#clock = deps.clock;
    this.#channel = deps.channel ?? 'lzy_operation_done';
  }

  /**
   * Inserts a new operation, or, when `idempotency` is given and the caller already used that
   * key: returns the stored operation (same request hash; `created: false`, done or not) or
   * throws InvalidArgument (different hash).
   * @throws AlreadyExists when `op.id` is taken.
   */
  create(op: NewOperation, idempotency?: Idempotency, trx?: Kysely<DB>): Promise<CreateResult> {
    if (trx !== undefined) return this.#create(op, idempotency, asOperationDb(trx));
    return withTransaction(this.#db, (t) => this.#create(op, idempotency, t), {
      isolation: 'read committed',
    });
  }

  async #create(
    op: NewOperation,
    idempotency: Idempotency | undefined,
    trx: OperationDb,
  ): Promise<CreateResult> {
    const now = new Date(this.#clock.now());
    const row = await trx
      .insertInto('operation')
      .values({
        id: op.id ?? randomUUID(),
        description: op.description,
        created_by: op.createdBy,
        created_at: now,
        modified_at: now,
        deadline: op.deadline ?? null,
        idempotency_key: idempotency?.key ?? null,
        request_hash: idempotency?.requestHash ?? null,
        meta_type: op.meta?.typeName ?? null,
        meta: op.meta === undefined ? null : toBytea(op.meta.value),
        kind: op.kind ?? null,
        step_state: JSON.stringify(op.state ?? {}),
      })
      .onConflict((oc) =>
        oc
          .columns(['created_by', 'idempotency_key'])
          .where('idempotency_key', 'is not', null)
          .doNothing(),
      )
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return { operation: toOperation(row), created: true };
    // Only the idempotency index can make DO NOTHING skip the row, so `idempotency` is set.
    return { operation: await this.#replay(trx, op.createdBy, idempotency!), created: false };
  }

  async #replay(trx: OperationDb, createdBy: string, idempotency: Idempotency): Promise<Operation> {
    const existing = await trx
      .selectFrom('operation')
      .selectAll()
      .where('created_by', '=', createdBy)
      .where('idempotency_key', '=', idempotency.key)
      .executeTakeFirst();
    if (existing === undefined) {
      throw new Aborted('The operation for this idempotency key changed concurrently; retry');
    }
    if (existing.request_hash !== idempotency.requestHash) {
      throw new InvalidArgument(
        `Idempotency key conflict: key '${idempotency.key}' was already used with a different request; ` +
          'send a new key with a new request',
      );
    }
    return toOperation(existing);
  }

  /** @throws NotFound when there is no operation `id`. */
  get(id: string, trx?: Kysely<DB>): Promise<Operation> {
    return this.#get(id, trx === undefined ? this.#db : asOperationDb(trx));
  }

  async #get(id: string, db: OperationDb): Promise<Operation> {
    const row = await db
      .selectFrom('operation')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound(`Operation ${id} not found`);
    return toOperation(row);
  }

  /** Finishes `id` with `response`, first writer wins. @throws NotFound */
  complete(id: string, response: PackedMessage, trx?: Kysely<DB>): Promise<CompletionResult> {
    return this.#finish(
      id,
      { response_type: response.typeName, response: toBytea(response.value) },
      trx,
    );
  }

  /** Finishes `id` with `error`, first writer wins. @throws NotFound */
  fail(id: string, error: OperationError, trx?: Kysely<DB>): Promise<CompletionResult> {
    return this.#finish(id, { error_code: error.code, error_message: error.message }, trx);
  }

  /**
   * Marks `id` failed with CANCELLED(message) (reference §1.4). It does not stop the work: a step
   * runner notices at its next step boundary and aborts the running step's signal.
   */
  cancel(id: string, message: string, trx?: Kysely<DB>): Promise<CompletionResult> {
    return this.fail(id, { code: 'CANCELLED', message }, trx);
  }

  async #finish(
    id: string,
    result:
      { response_type: string; response: Buffer } | { error_code: string; error_message: string },
    trx: Kysely<DB> | undefined,
  ): Promise<CompletionResult> {
    if (trx !== undefined) return this.#finishIn(asOperationDb(trx), id, result);
    const outcome = await withTransaction(this.#db, (t) => this.#finishIn(t, id, result), {
      isolation: 'read committed',
    });
    if (outcome.completed) this.#waiters.wake(id);
    return outcome;
  }

  async #finishIn(
    trx: OperationDb,
    id: string,
    result:
      { response_type: string; response: Buffer } | { error_code: string; error_message: string },
  ): Promise<CompletionResult> {
    const updated = await trx
      .updateTable('operation')
      .set({
        ...result,
        done: true,
        modified_at: new Date(this.#clock.now()),
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('done', '=', false)
      .returningAll()
      .executeTakeFirst();
    if (updated === undefined) return { operation: await this.#get(id, trx), completed: false };
    await sql`SELECT pg_notify(${this.#channel}, ${id})`.execute(trx);
    return { operation: toOperation(updated), completed: true };
  }

  /**
   * Replaces the metadata of an unfinished operation.
   * @throws NotFound; FailedPrecondition when it is already done.
   */
  async updateMeta(id: string, meta: PackedMessage, trx?: Kysely<DB>): Promise<Operation> {
    if (trx !== undefined) return this.#updateMetaIn(asOperationDb(trx), id, meta);
    const updated = await withTransaction(this.#db, (t) => this.#updateMetaIn(t, id, meta), {
      isolation: 'read committed',
    });
    this.#waiters.wake(id);
    return updated;
  }

  async #updateMetaIn(trx: OperationDb, id: string, meta: PackedMessage): Promise<Operation> {
    const row = await trx
      .updateTable('operation')
      .set({
        meta_type: meta.typeName,
        meta: toBytea(meta.value),
        modified_at: new Date(this.#clock.now()),
      })
      .where('id', '=', id)
      .where('done', '=', false)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      const current = await this.#get(id, trx);
      throw new FailedPrecondition(
        `Operation ${current.id} is already done; its metadata cannot change`,
      );
    }
    await sql`SELECT pg_notify(${this.#channel}, ${id})`.execute(trx); // for watch()
    return toOperation(row);
  }

  /** Unfinished operations, oldest first; `kind` narrows to one step-runner kind. */
  async listUnfinished(options: { kind?: string; limit?: number } = {}): Promise<Operation[]> {
    let query = this.#db.selectFrom('operation').selectAll().where('done', '=', false);
    if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
    const rows = await query
      .orderBy('created_at')
      .limit(options.limit ?? 1000)
      .execute();
    return rows.map(toOperation);
  }

  /**
   * Resolves with the operation once it is done (at once if it already is). Push, not poll: woken
   * by completions in this process and, after `listenForCompletions`, by NOTIFY from any process
   * sharing the database; each wake-up re-reads the row.
   * @throws NotFound; the signal's reason when `signal` aborts first.
   */
  waitForDone(id: string, signal?: AbortSignal): Promise<Operation> {
    return waitForDone(this.#waiters, (i) => this.get(i), id, signal);
  }

  /**
   * The operation now, then again after each change (metadata update, completion), ending after
   * the version with done = true. Pushed like waitForDone; changes in quick succession may be
   * coalesced into the latest. Rejects when `signal` aborts. @throws NotFound
   */
  watch(id: string, signal?: AbortSignal): AsyncGenerator<Operation, void, undefined> {
    return watchOperation(this.#waiters, (i) => this.get(i), id, signal);
  }

  /**
   * Wakes this store's waiters on every completion NOTIFY on the channel, and all of them after
   * the listener reconnects (notifications sent while it was down are lost). Call before serving.
   * Returns a function that stops it.
   */
  async listenForCompletions(listener: NotificationListener): Promise<() => void> {
    const unlisten = await listener.listen(this.#channel, (id) => this.#waiters.wake(id));
    const unreconnect = listener.onReconnect(() => this.#waiters.wakeAll());
    return () => {
      unlisten();
      unreconnect();
    };
  }
}
