import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Per-user S3 keys (issue 13 item 1; reference §9.3 `yc_s3_credentials`): one row per user, the
 * secret sealed with the service's encryption key (SecretBox, context `user_key:<user_id>`).
 * A bucket belongs to one user: `user_bucket.bucket` becomes unique.
 */
export const userKeyMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE user_key (
        user_id       text PRIMARY KEY,
        access_key_id text NOT NULL,
        secret_sealed text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        rotated_at    timestamptz
      )
    `.execute(db);
    await sql`CREATE UNIQUE INDEX user_bucket_bucket ON user_bucket (bucket)`.execute(db);
  },
  async down(db) {
    await sql`DROP INDEX user_bucket_bucket`.execute(db);
    await sql`DROP TABLE user_key`.execute(db);
  },
};
