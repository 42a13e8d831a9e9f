import { sql } from 'kysely';
import { withTransaction } from '@lzy/db';
import { AlreadyExists } from '@lzy/errors';
import { planBindings } from '../domain/binding-plan.ts';
import type { Authorize, BindingChange } from '../domain/binding-plan.ts';
import type { ChannelStorePort } from '../domain/channel-manager.ts';
import type { BoundEndpoint, ChannelRecord, NewChannel } from '../domain/channel-rules.ts';
import {
  deleteEndpoints,
  insertAndNotify,
  notifyChanged,
  toEndpoint,
  toEndpointOfUser,
} from './endpoint-writes.ts';
import type { EndpointRow } from './endpoint-writes.ts';
import { CHANNEL_CHANGED } from './schema.ts';
import type { ChannelTable, Db } from './schema.ts';

type ChannelRow = Omit<ChannelTable, 'created_at'> & { created_at: Date };

/** Rows per multi-row INSERT: 6 parameters each, well under PostgreSQL's 65,535. */
const INSERT_CHUNK = 5000;

/** All SQL of channels and endpoints. Every change sends NOTIFY CHANNEL_CHANGED in its transaction. */
export class ChannelStore implements ChannelStorePort {
  readonly #db: Db;
  readonly #origin: string;

  /**
   * @param deps.origin names this instance in its notifications (changedPayload), so its own
   *   listener can skip the changes it already signalled in process.
   */
  constructor(deps: { db: Db; origin: string }) {
    this.#db = deps.db;
    this.#origin = deps.origin;
  }

  /**
   * Inserts the channel, or returns the one with the same (execution, name).
   * @throws AlreadyExists if that channel exists with another scheme or workflow.
   */
  async create(channel: NewChannel): Promise<string> {
    const [id] = await this.createMany([channel]);
    return id as string;
  }

  /**
   * create() for many channels: multi-row inserts (ON CONFLICT DO NOTHING) and one read back,
   * in one transaction. @returns ids in input order. @throws AlreadyExists as create().
   */
  async createMany(channels: readonly NewChannel[]): Promise<string[]> {
    if (channels.length === 0) return [];
    return withTransaction(this.#db, async (trx) => {
      const rows = new Map<string, ChannelRow>();
      for (let i = 0; i < channels.length; i += INSERT_CHUNK) {
        const chunk = channels.slice(i, i + INSERT_CHUNK);
        await trx
          .insertInto('channel')
          .values(
            chunk.map((channel) => ({
              channel_id: channel.channelId,
              execution_id: channel.executionId,
              workflow_name: channel.workflowName,
              user_id: channel.userId,
              channel_name: channel.channelName,
              scheme_json: channel.schemeJson,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
        const found = await trx
          .selectFrom('channel')
          .selectAll()
          .where(
            'channel_id',
            'in',
            chunk.map((c) => c.channelId),
          )
          .execute();
        for (const row of found) rows.set(row.channel_id, row);
      }
      return channels.map((channel) => {
        const row = rows.get(channel.channelId);
        if (
          row === undefined ||
          row.execution_id !== channel.executionId ||
          row.channel_name !== channel.channelName ||
          row.workflow_name !== channel.workflowName ||
          row.user_id !== channel.userId ||
          row.scheme_json !== channel.schemeJson
        ) {
          throw new AlreadyExists(
            `channel ${channel.channelId} already exists with another spec; use another channel_name`,
          );
        }
        return row.channel_id;
      });
    });
  }

  /** Deletes channels (endpoints cascade). @returns the ids actually deleted. */
  async destroy(where: { channelId: string } | { executionId: string }): Promise<string[]> {
    return withTransaction(
      this.#db,
      async (trx) => {
        const rows = await trx
          .deleteFrom('channel')
          .$if('channelId' in where, (q) =>
            q.where('channel_id', '=', (where as { channelId: string }).channelId),
          )
          .$if('executionId' in where, (q) =>
            q.where('execution_id', '=', (where as { executionId: string }).executionId),
          )
          .returning('channel_id')
          .execute();
        const ids = rows.map((r) => r.channel_id);
        await notifyChanged(trx, ids, this.#origin);
        return ids;
      },
      { isolation: 'read committed' },
    );
  }

  async get(channelId: string): Promise<ChannelRecord | undefined> {
    return (await this.#load([channelId], undefined))[0];
  }

  async list(executionId: string): Promise<ChannelRecord[]> {
    return this.#load(undefined, executionId);
  }

  async endpoint(slotUri: string): Promise<BoundEndpoint | undefined> {
    const row = await this.#db
      .selectFrom('endpoint')
      .selectAll()
      .where('slot_uri', '=', slotUri)
      .executeTakeFirst();
    return row === undefined ? undefined : toEndpoint(row);
  }

  async endpointsOf(channelId: string): Promise<BoundEndpoint[]> {
    const rows = await this.#db
      .selectFrom('endpoint')
      .selectAll()
      .where('channel_id', '=', channelId)
      .orderBy('bound_at')
      .orderBy('slot_uri')
      .execute();
    return rows.map(toEndpoint);
  }

  /** The user of the channel `slotUri` is bound in; undefined if it is not bound. */
  async userOfSlot(slotUri: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('endpoint')
      .innerJoin('channel', 'channel.channel_id', 'endpoint.channel_id')
      .select('channel.user_id')
      .where('endpoint.slot_uri', '=', slotUri)
      .executeTakeFirst();
    return row?.user_id;
  }

  /**
   * Unbinds, then binds, as planBindings decides from what it reads. With binds: one transaction
   * under row locks on their channels (taken in id order, so concurrent batches cannot deadlock;
   * read committed: each statement after the lock sees the other's commit): the lock, one read,
   * a DELETE when something is unbound, one INSERT that also sends the NOTIFYs. Unbinds alone
   * need no lock (the DELETE matches the rows read and authorized): one read and one DELETE, or
   * the DELETE alone for a service.
   * @returns the ids of the channels changed (NOTIFY CHANNEL_CHANGED sent for each).
   * @throws as planBindings; AlreadyExists when a concurrent call bound one of the slots first.
   */
  async changeBindings(change: BindingChange, authorize: Authorize): Promise<string[]> {
    if (change.binds.length === 0) return this.#unbind(change.unbinds, authorize);
    return withTransaction(
      this.#db,
      async (trx) => {
        const channelIds = [...new Set(change.binds.map((b) => b.channelId))].sort();
        const locked = await sql<{ channel_id: string; user_id: string }>`
          SELECT channel_id, user_id FROM channel WHERE channel_id = ANY(${channelIds}::text[])
          ORDER BY channel_id FOR UPDATE`.execute(trx);
        const slotUris = [...new Set([...change.unbinds, ...change.binds.map((b) => b.slotUri)])];
        const endpoints = await sql<EndpointRow>`
          SELECT e.*, c.user_id FROM endpoint e JOIN channel c ON c.channel_id = e.channel_id
          WHERE e.channel_id = ANY(${channelIds}::text[]) OR e.slot_uri = ANY(${slotUris}::text[])`.execute(
          trx,
        );
        const plan = planBindings(
          {
            channelUsers: new Map(locked.rows.map((r) => [r.channel_id, r.user_id])),
            endpoints: endpoints.rows.map(toEndpointOfUser),
          },
          change,
          authorize,
        );
        if (plan.deletes.length > 0) await deleteEndpoints(trx, plan.deletes, undefined);
        await insertAndNotify(trx, plan.inserts, plan.changedChannelIds, this.#origin);
        return plan.changedChannelIds;
      },
      { isolation: 'read committed' },
    );
  }

  async #unbind(slotUris: readonly string[], authorize: Authorize): Promise<string[]> {
    if (slotUris.length === 0) return [];
    if (authorize === undefined) {
      const rows = await sql<{ channel_id: string }>`
        WITH removed AS (
          DELETE FROM endpoint WHERE slot_uri = ANY(${slotUris}::text[]) RETURNING channel_id
        )
        SELECT channel_id, pg_notify(${CHANNEL_CHANGED}, channel_id)
        FROM (SELECT DISTINCT channel_id FROM removed) AS changed`.execute(this.#db);
      return rows.rows.map((r) => r.channel_id);
    }
    const endpoints = await sql<EndpointRow>`
      SELECT e.*, c.user_id FROM endpoint e JOIN channel c ON c.channel_id = e.channel_id
      WHERE e.slot_uri = ANY(${[...slotUris]}::text[])`.execute(this.#db);
    const plan = planBindings(
      { channelUsers: new Map<string, string>(), endpoints: endpoints.rows.map(toEndpointOfUser) },
      { unbinds: slotUris, binds: [] },
      authorize,
    );
    if (plan.deletes.length === 0) return [];
    return deleteEndpoints(this.#db, plan.deletes, { origin: this.#origin });
  }

  async #load(ids: string[] | undefined, executionId: string | undefined) {
    const channels = await this.#db
      .selectFrom('channel')
      .selectAll()
      .$if(ids !== undefined, (q) => q.where('channel_id', 'in', ids!))
      .$if(executionId !== undefined, (q) => q.where('execution_id', '=', executionId!))
      .orderBy('created_at')
      .orderBy('channel_id')
      .execute();
    if (channels.length === 0) return [];
    const endpoints = await this.#db
      .selectFrom('endpoint')
      .selectAll()
      .where(
        'channel_id',
        'in',
        channels.map((c) => c.channel_id),
      )
      .orderBy('bound_at')
      .orderBy('slot_uri')
      .execute();
    return channels.map((c): ChannelRecord => ({
      channelId: c.channel_id,
      executionId: c.execution_id,
      workflowName: c.workflow_name,
      userId: c.user_id,
      channelName: c.channel_name,
      schemeJson: c.scheme_json,
      endpoints: endpoints.filter((e) => e.channel_id === c.channel_id).map(toEndpoint),
    }));
  }
}
