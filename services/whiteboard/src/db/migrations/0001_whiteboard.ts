import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Whiteboard metadata (reference-lzy-internals §10.3, gaps closed):
 * - `created_at_seconds`/`_nanos` keep the client's Timestamp exactly (pylzy compares it with
 *   nanoseconds); List filters on the pair with row comparison.
 * - tags and fields carry a `position` so Get returns them in the order registered (Java lost
 *   it and pylzy re-sent an update on every read). Tags may repeat, as the client sent them.
 */
export const whiteboardMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE whiteboard (
        id                  text PRIMARY KEY,
        owner_id            text NOT NULL,
        name                text NOT NULL,
        namespace           text NOT NULL,
        status              text NOT NULL CHECK (status IN ('CREATED', 'FINALIZED')),
        storage_name        text NOT NULL,
        storage_description text NOT NULL,
        storage_uri         text NOT NULL,
        created_at_seconds  bigint NOT NULL,
        created_at_nanos    integer NOT NULL CHECK (created_at_nanos BETWEEN 0 AND 999999999),
        registered_at       timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`
      CREATE INDEX whiteboard_owner_created_index
        ON whiteboard (owner_id, created_at_seconds, created_at_nanos)`.execute(db);
    await sql`CREATE INDEX whiteboard_owner_name_index ON whiteboard (owner_id, name)`.execute(db);
    await sql`
      CREATE TABLE whiteboard_field (
        whiteboard_id  text NOT NULL REFERENCES whiteboard (id) ON DELETE CASCADE,
        position       integer NOT NULL,
        name           text NOT NULL,
        data_format    text NOT NULL,
        scheme_format  text NOT NULL,
        scheme_content text NOT NULL,
        metadata       jsonb NOT NULL,
        PRIMARY KEY (whiteboard_id, position),
        UNIQUE (whiteboard_id, name)
      )`.execute(db);
    await sql`
      CREATE TABLE whiteboard_tag (
        whiteboard_id text NOT NULL REFERENCES whiteboard (id) ON DELETE CASCADE,
        position      integer NOT NULL,
        tag           text NOT NULL,
        PRIMARY KEY (whiteboard_id, position)
      )`.execute(db);
    await sql`CREATE INDEX whiteboard_tag_tag_index ON whiteboard_tag (tag, whiteboard_id)`.execute(
      db,
    );
  },
  async down(db) {
    await sql`DROP TABLE whiteboard_tag, whiteboard_field, whiteboard`.execute(db);
  },
};
