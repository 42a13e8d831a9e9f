import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Creates the `operation` table (reference §1.2, gaps closed). Every service that owns long-running
 * operations lists it in its own migrations, e.g. `{ '0001_operation': operationTableMigration,
 * '0002_vm': … }`; a later change to this table ships as a new export that services append.
 *
 * Design:
 * - meta / response are stored as type name + bytes (a google.protobuf.Any split in two), error
 *   as code name + message (a google.rpc.Status without details).
 * - CHECKs: idempotency key and request hash both set or both null; a done row has exactly one of
 *   response / error; an unfinished row has neither.
 * - Idempotency keys are scoped to the creating subject: UNIQUE (created_by, idempotency_key)
 *   where a key is present. Two callers reusing a key never see each other's operation (Java's
 *   index was global).
 * - Step runner columns: `kind` (registered operation kind; null = not run by the runner),
 *   `step_index` (next step to run), `step_state` (JSON the steps carry between them),
 *   `lease_owner` / `lease_expires_at` (which runner instance drives it, so two instances of a
 *   service never run the same operation at once).
 */
export const operationTableMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE operation (
        id               text PRIMARY KEY,
        description      text NOT NULL DEFAULT '',
        created_by       text NOT NULL,
        created_at       timestamptz NOT NULL,
        modified_at      timestamptz NOT NULL,
        deadline         timestamptz,
        idempotency_key  text,
        request_hash     text,
        meta_type        text,
        meta             bytea,
        done             boolean NOT NULL DEFAULT false,
        response_type    text,
        response         bytea,
        error_code       text,
        error_message    text,
        kind             text,
        step_index       integer NOT NULL DEFAULT 0,
        step_state       jsonb NOT NULL DEFAULT '{}'::jsonb,
        lease_owner      text,
        lease_expires_at timestamptz,
        CONSTRAINT operation_idempotency_pair_check
          CHECK ((idempotency_key IS NULL) = (request_hash IS NULL)),
        CONSTRAINT operation_meta_pair_check CHECK ((meta_type IS NULL) = (meta IS NULL)),
        CONSTRAINT operation_result_check CHECK (
          CASE WHEN done
            THEN (response_type IS NULL) <> (error_code IS NULL)
            ELSE response_type IS NULL AND error_code IS NULL
          END)
      )`.execute(db);
    await sql`
      CREATE UNIQUE INDEX operation_idempotency_key_index
        ON operation (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL`.execute(db);
    await sql`
      CREATE INDEX operation_unfinished_kind_index
        ON operation (kind) WHERE NOT done AND kind IS NOT NULL`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE operation`.execute(db);
  },
};
