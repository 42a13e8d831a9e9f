import { Cancelled } from '@lzy/errors';
import type { ExpressionBuilder } from 'kysely';
import type { Logger } from '@lzy/logging';
import type { Clock, JsonObject } from '../operation.ts';
import type { OperationDatabase, OperationDb, OperationRow } from '../operation-row.ts';

/** Unfinished runner operations `owner` may take: unleased, its own, or with an expired lease. */
function claimable(owner: string, now: Date) {
  return (eb: ExpressionBuilder<OperationDatabase, 'operation'>) =>
    eb.and([
      eb('done', '=', false),
      eb('kind', 'is not', null),
      eb.or([
        eb('lease_owner', 'is', null),
        eb('lease_owner', '=', owner),
        eb('lease_expires_at', '<', now),
      ]),
    ]);
}

export interface RunnerStoreDeps {
  readonly db: OperationDb;
  readonly clock: Clock;
  readonly log: Logger;
  /** This runner instance: the lease owner it writes. */
  readonly owner: string;
  readonly leaseMs: number;
}

/**
 * Lease and progress columns of `operation`, for OperationRunner only. A runner instance holds a
 * lease on every operation it drives and renews it while a step runs; another instance may take
 * an operation over only once the lease has expired (its owner died) or was released (its owner
 * stopped). Times come from the runner's clock; `extraMs` lengthens a lease over a planned wait.
 */
export class RunnerStore {
  readonly #deps: RunnerStoreDeps;

  constructor(deps: RunnerStoreDeps) {
    this.#deps = deps;
  }

  #leaseUntil(extraMs = 0): Date {
    return new Date(this.#deps.clock.now() + extraMs + this.#deps.leaseMs);
  }

  /**
   * Takes or renews the lease on unfinished `id` unless another owner holds a live one.
   * Returns the row, or undefined when it is done, missing, not a runner operation, or leased.
   */
  async claim(id: string): Promise<OperationRow | undefined> {
    const now = new Date(this.#deps.clock.now());
    return (
      this.#deps.db
        .updateTable('operation')
        .set({ lease_owner: this.#deps.owner, lease_expires_at: this.#leaseUntil() })
        .where('id', '=', id)
        // In the UPDATE's own WHERE (not a subquery): a concurrent claim blocked on the row lock
        // re-checks it against the committed lease and backs off.
        .where(claimable(this.#deps.owner, now))
        .returningAll()
        .executeTakeFirst()
    );
  }

  /** Extends this owner's lease. Returns false when it no longer holds it or `id` is done. */
  async renew(id: string, extraMs = 0): Promise<boolean> {
    const row = await this.#deps.db
      .updateTable('operation')
      .set({ lease_expires_at: this.#leaseUntil(extraMs) })
      .where('id', '=', id)
      .where('done', '=', false)
      .where('lease_owner', '=', this.#deps.owner)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Records that the steps before `stepIndex` are done, and their `state`; keeps the lease for
   * `extraMs` more. Returns false (nothing written) when `id` is done or the lease was lost.
   */
  async saveProgress(
    id: string,
    stepIndex: number,
    state: JsonObject,
    extraMs = 0,
  ): Promise<boolean> {
    const row = await this.#deps.db
      .updateTable('operation')
      .set({
        step_index: stepIndex,
        step_state: JSON.stringify(state),
        modified_at: new Date(this.#deps.clock.now()),
        lease_expires_at: this.#leaseUntil(extraMs),
      })
      .where('id', '=', id)
      .where('done', '=', false)
      .where('lease_owner', '=', this.#deps.owner)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Gives up this owner's lease on `id` so another instance can resume it at once. */
  async release(id: string): Promise<void> {
    await this.#deps.db
      .updateTable('operation')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('id', '=', id)
      .where('lease_owner', '=', this.#deps.owner)
      .execute();
  }

  /** Unfinished operations of `kinds` this owner may claim now, oldest first. */
  async listClaimable(kinds: readonly string[], limit: number): Promise<string[]> {
    if (kinds.length === 0) return [];
    const rows = await this.#deps.db
      .selectFrom('operation')
      .select('id')
      .where(claimable(this.#deps.owner, new Date(this.#deps.clock.now())))
      .where('kind', 'in', kinds)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Runs `fn` while renewing the lease on `id` every third of `leaseMs`; the signal passed to
   * `fn` aborts if the lease is lost (another instance took over after a stall).
   */
  async hold<T>(id: string, fn: (leaseLost: AbortSignal) => Promise<T>): Promise<T> {
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      this.renew(id).then(
        (held) => {
          if (!held) lost.abort(new Cancelled(`Lost the lease on operation ${id}`));
        },
        (err: unknown) => this.#deps.log.warn({ err, operationId: id }, 'renewing lease failed'),
      );
    }, this.#deps.leaseMs / 3).unref();
    try {
      return await fn(lost.signal);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
