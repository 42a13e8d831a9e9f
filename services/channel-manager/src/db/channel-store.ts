import { sql } from 'kysely';
import type { Generated, Kysely, Transaction } from 'kysely';
import { withTransaction } from '@lzy/db';
import { AlreadyExists, NotFound } from '@lzy/errors';
import { commonSlot } from '@lzy/proto';
import type { ChannelStorePort } from '../domain/channel-manager.ts';
import { checkBind } from '../domain/channel-rules.ts';
import type {
  BoundEndpoint,
  ChannelRecord,
  NewChannel,
  SlotDirection,
  SlotOwner,
} from '../domain/channel-rules.ts';

export interface ChannelTable {
  channel_id: string;
  execution_id: string;
  workflow_name: string;
  user_id: string;
  channel_name: string;
  scheme_json: string;
  created_at: Generated<Date>;
}

export interface EndpointTable {
  slot_uri: string;
  channel_id: string;
  task_id: string;
  direction: SlotDirection;
  owner: SlotOwner;
  slot_json: string;
  bound_at: Generated<Date>;
}

export interface ChannelManagerDatabase {
  channel: ChannelTable;
  endpoint: EndpointTable;
}

/** pg NOTIFY channel carrying the id of a changed channel, for watchers in other instances. */
export const CHANNEL_CHANGED = 'lzy_channel_changed';

type Db = Kysely<ChannelManagerDatabase>;
type ChannelRow = Omit<ChannelTable, 'created_at'> & { created_at: Date };

/** Rows per multi-row INSERT: 6 parameters each, well under PostgreSQL's 65,535. */
const INSERT_CHUNK = 5000;

function toEndpoint(row: Omit<EndpointTable, 'bound_at'>): BoundEndpoint {
  return {
    slotUri: row.slot_uri,
    channelId: row.channel_id,
    taskId: row.task_id,
    direction: row.direction,
    owner: row.owner,
    slot: commonSlot.SlotInstance.fromJSON(JSON.parse(row.slot_json)),
  };
}

async function notifyChanged(trx: Transaction<ChannelManagerDatabase>, ids: string[]) {
  for (const id of ids) await sql`SELECT pg_notify(${CHANNEL_CHANGED}, ${id})`.execute(trx);
}

/** All SQL of channels and endpoints. Every change sends NOTIFY CHANNEL_CHANGED in its transaction. */
export class ChannelStore implements ChannelStorePort {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
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
        await notifyChanged(trx, ids);
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

  /**
   * Binds under a row lock on the channel, so concurrent binds of one channel see each other
   * (read committed: each statement after the lock sees the other's commit).
   * @throws NotFound (unknown channel), AlreadyExists / FailedPrecondition (checkBind).
   */
  async bind(endpoint: BoundEndpoint): Promise<void> {
    await withTransaction(
      this.#db,
      async (trx) => {
        const channel = await trx
          .selectFrom('channel')
          .select('channel_id')
          .where('channel_id', '=', endpoint.channelId)
          .forUpdate()
          .executeTakeFirst();
        if (channel === undefined)
          throw new NotFound(`channel ${endpoint.channelId} does not exist`);
        const other = await trx
          .selectFrom('endpoint')
          .selectAll()
          .where('slot_uri', '=', endpoint.slotUri)
          .where('channel_id', '<>', endpoint.channelId)
          .executeTakeFirst();
        if (other !== undefined)
          throw new AlreadyExists(
            `slot ${endpoint.slotUri} is already bound to channel ${other.channel_id}`,
          );
        const rows = await trx
          .selectFrom('endpoint')
          .selectAll()
          .where('channel_id', '=', endpoint.channelId)
          .execute();
        if (checkBind(rows.map(toEndpoint), endpoint) === 'bound') return;
        await trx
          .insertInto('endpoint')
          .values({
            slot_uri: endpoint.slotUri,
            channel_id: endpoint.channelId,
            task_id: endpoint.taskId,
            direction: endpoint.direction,
            owner: endpoint.owner,
            slot_json: JSON.stringify(commonSlot.SlotInstance.toJSON(endpoint.slot)),
          })
          .execute();
        await notifyChanged(trx, [endpoint.channelId]);
      },
      { isolation: 'read committed' },
    );
  }

  /** @returns the channel the slot was bound to, undefined if it was not bound. */
  async unbind(slotUri: string): Promise<string | undefined> {
    return withTransaction(
      this.#db,
      async (trx) => {
        const row = await trx
          .deleteFrom('endpoint')
          .where('slot_uri', '=', slotUri)
          .returning('channel_id')
          .executeTakeFirst();
        if (row !== undefined) await notifyChanged(trx, [row.channel_id]);
        return row?.channel_id;
      },
      { isolation: 'read committed' },
    );
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
