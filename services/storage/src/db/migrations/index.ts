import type { Migration } from '@lzy/db';
import { userBucketMigration } from './0001_user_bucket.ts';
import { userKeyMigration } from './0002_user_key.ts';

/** The storage service's migrations, in order. */
export const storageMigrations: Readonly<Record<string, Migration>> = {
  '0001_user_bucket': userBucketMigration,
  '0002_user_key': userKeyMigration,
};
