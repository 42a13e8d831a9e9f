import type { Generated, Kysely } from 'kysely';
import type { SlotDirection, SlotOwner } from '../domain/channel-rules.ts';

/** The tables of the channel manager (migrations/0001_channel.ts), as kysely sees them. */
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

export type Db = Kysely<ChannelManagerDatabase>;
