import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import { commonSlot } from '@lzy/proto';
import type { EndpointOfUser } from '../domain/binding-plan.ts';
import type { BoundEndpoint } from '../domain/channel-rules.ts';
import { CHANNEL_CHANGED } from './schema.ts';
import type { ChannelManagerDatabase, Db, EndpointTable } from './schema.ts';

/*
 * Endpoint rows ↔ domain, and the statements of a binding change (ChannelStore.changeBindings).
 * Arrays travel as one parameter each (`= ANY($1::text[])`, `unnest`), so a batch of any size is
 * one statement within PostgreSQL's 65,535 parameters.
 */

export function toEndpoint(row: Omit<EndpointTable, 'bound_at'>): BoundEndpoint {
  return {
    slotUri: row.slot_uri,
    channelId: row.channel_id,
    taskId: row.task_id,
    direction: row.direction,
    owner: row.owner,
    slot: commonSlot.SlotInstance.fromJSON(JSON.parse(row.slot_json)),
  };
}

/**
 * The payload of a CHANNEL_CHANGED notification: `<origin> <channelId>`, origin naming the
 * instance that made the change, so its own listener skips what it already signalled in process.
 */
export function changedPayload(origin: string, channelId: string): string {
  return `${origin} ${channelId}`;
}

/** The changed channel and its origin ('' for a payload of the bare id). */
export function parseChangedPayload(payload: string): { origin: string; channelId: string } {
  const at = payload.indexOf(' ');
  return at < 0
    ? { origin: '', channelId: payload }
    : { origin: payload.slice(0, at), channelId: payload.slice(at + 1) };
}

/** NOTIFY CHANNEL_CHANGED once per id, in one statement; none for no ids. */
export async function notifyChanged(
  trx: Transaction<ChannelManagerDatabase>,
  ids: string[],
  origin: string,
) {
  if (ids.length === 0) return;
  await sql`SELECT pg_notify(${CHANNEL_CHANGED}, ${`${origin} `} || id) FROM unnest(${ids}::text[]) AS id`.execute(
    trx,
  );
}

export type EndpointRow = Omit<EndpointTable, 'bound_at'> & { user_id: string };

export function toEndpointOfUser(row: EndpointRow): EndpointOfUser {
  return { ...toEndpoint(row), userId: row.user_id };
}

/**
 * Deletes the endpoints where they were read (a slot moved meanwhile stays), in one statement
 * that also sends NOTIFY for their channels when `notify`. @returns the channels changed.
 */
export async function deleteEndpoints(
  db: Db,
  endpoints: ReadonlyArray<{ slotUri: string; channelId: string }>,
  notify: { origin: string } | undefined,
): Promise<string[]> {
  const uris = endpoints.map((e) => e.slotUri);
  const channels = endpoints.map((e) => e.channelId);
  const rows = await sql<{ channel_id: string }>`
    WITH removed AS (
      DELETE FROM endpoint
      WHERE (slot_uri, channel_id) IN (SELECT * FROM unnest(${uris}::text[], ${channels}::text[]))
      RETURNING channel_id
    )
    SELECT channel_id${notify === undefined ? sql`` : sql`, pg_notify(${CHANNEL_CHANGED}, ${`${notify.origin} `} || channel_id)`}
    FROM (SELECT DISTINCT channel_id FROM removed) AS changed`.execute(db);
  return rows.rows.map((r) => r.channel_id);
}

/**
 * Inserts the endpoints and sends NOTIFY for `changedChannelIds`, in one statement (a
 * data-modifying WITH runs whether or not the query reads it). Nothing to do: no statement.
 */
export async function insertAndNotify(
  trx: Transaction<ChannelManagerDatabase>,
  endpoints: readonly BoundEndpoint[],
  changedChannelIds: string[],
  origin: string,
): Promise<void> {
  if (endpoints.length === 0) return notifyChanged(trx, changedChannelIds, origin);
  const column = (pick: (e: BoundEndpoint) => string) => endpoints.map(pick);
  await sql`
    WITH added AS (
      INSERT INTO endpoint (slot_uri, channel_id, task_id, direction, owner, slot_json)
      SELECT * FROM unnest(
        ${column((e) => e.slotUri)}::text[], ${column((e) => e.channelId)}::text[],
        ${column((e) => e.taskId)}::text[], ${column((e) => e.direction)}::text[],
        ${column((e) => e.owner)}::text[],
        ${column((e) => JSON.stringify(commonSlot.SlotInstance.toJSON(e.slot)))}::text[])
    )
    SELECT pg_notify(${CHANNEL_CHANGED}, ${`${origin} `} || id)
    FROM unnest(${changedChannelIds}::text[]) AS id`.execute(trx);
}
