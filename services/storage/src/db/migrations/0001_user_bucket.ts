import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * One row per bucket created for a user (reference §9.3 `yc_s3_credentials`, without stored
 * secrets: every user receives the installation's key pair, which lives in the config only).
 */
export const userBucketMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE user_bucket (
        user_id    text NOT NULL,
        bucket     text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, bucket)
      )
    `.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE user_bucket`.execute(db);
  },
};
