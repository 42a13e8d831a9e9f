import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Subjects, credentials and access bindings (reference-lzy-internals §2.2, renamed to LZY's
 * concepts: `users` → `subject`, `user_resource_roles` → `access_binding`).
 *
 * - subject: identity key (auth_provider, provider_subject_id); `access_type` is CHECKED at
 *   authentication (LZY stored it but ignored it, §15).
 * - credential: (subject_id, name) unique; an OTT must expire; OTTs are stored as the sha256 of
 *   the token (`value`), so the database never holds a usable one-time token.
 * - access_binding: keyed by the resource's type AND id (LZY used the id only); roles are checked
 *   against the closed list; cascade-deleted with the subject.
 */
export const initMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE subject (
        id                  text PRIMARY KEY,
        type                text NOT NULL CHECK (type IN ('USER', 'WORKER', 'VM')),
        auth_provider       text NOT NULL CHECK (auth_provider IN ('INTERNAL', 'GITHUB')),
        provider_subject_id text NOT NULL CHECK (provider_subject_id <> ''),
        access_type         text NOT NULL DEFAULT 'ACCESS_ALLOWED'
          CHECK (access_type IN ('ACCESS_PENDING', 'ACCESS_ALLOWED', 'ACCESS_DENIED')),
        created_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT subject_provider_key UNIQUE (auth_provider, provider_subject_id)
      )`.execute(db);
    await sql`
      CREATE TABLE credential (
        subject_id text NOT NULL REFERENCES subject (id) ON DELETE CASCADE,
        name       text NOT NULL CHECK (name <> ''),
        type       text NOT NULL CHECK (type IN ('PUBLIC_KEY', 'OTT')),
        value      text NOT NULL,
        expired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_id, name),
        CONSTRAINT credential_ott_expires_check CHECK (type <> 'OTT' OR expired_at IS NOT NULL)
      )`.execute(db);
    await sql`CREATE UNIQUE INDEX credential_ott_index ON credential (value) WHERE type = 'OTT'`.execute(
      db,
    );
    await sql`
      CREATE TABLE access_binding (
        resource_type text NOT NULL CHECK (resource_type IN ('workflow', 'whiteboard', 'root')),
        resource_id   text NOT NULL,
        subject_id    text NOT NULL REFERENCES subject (id) ON DELETE CASCADE,
        role          text NOT NULL CHECK (role IN ('lzy.workflow.owner', 'lzy.whiteboard.owner',
                        'lzy.whiteboard.reader', 'lzy.internal.user', 'lzy.internal.worker')),
        PRIMARY KEY (resource_type, resource_id, subject_id, role)
      )`.execute(db);
    await sql`CREATE INDEX access_binding_subject_index ON access_binding (subject_id)`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE access_binding`.execute(db);
    await sql`DROP TABLE credential`.execute(db);
    await sql`DROP TABLE subject`.execute(db);
  },
};
