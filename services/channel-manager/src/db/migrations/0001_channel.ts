import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Channels and their bound endpoints (reference §6.3, without LZY's connection and action
 * tables: receivers learn their sender from WatchSender instead of a ConnectSlot per pair).
 * `scheme_json` is the DataScheme as canonical proto JSON text, compared verbatim to make
 * CreateChannel idempotent. Endpoints go with their channel (ON DELETE CASCADE).
 */
export const channelMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE channel (
        channel_id    text PRIMARY KEY,
        execution_id  text NOT NULL,
        workflow_name text NOT NULL,
        user_id       text NOT NULL,
        channel_name  text NOT NULL,
        scheme_json   text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        UNIQUE (execution_id, channel_name)
      )`.execute(db);
    await sql`
      CREATE TABLE endpoint (
        slot_uri   text PRIMARY KEY,
        channel_id text NOT NULL REFERENCES channel (channel_id) ON DELETE CASCADE,
        task_id    text NOT NULL,
        direction  text NOT NULL CHECK (direction IN ('INPUT', 'OUTPUT')),
        owner      text NOT NULL CHECK (owner IN ('WORKER', 'PORTAL')),
        slot_json  text NOT NULL,
        bound_at   timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`CREATE INDEX endpoint_channel_index ON endpoint (channel_id)`.execute(db);
  },
};

/** Every migration of the service, in order (run by migrateToLatest at start). */
export const channelManagerMigrations: Readonly<Record<string, Migration>> = {
  '0001_channel': channelMigration,
};
