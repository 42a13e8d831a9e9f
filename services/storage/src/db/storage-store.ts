import type { Kysely } from 'kysely';
import type { UserBucketStore } from '../domain/storage-manager.ts';

export interface UserBucketTable {
  user_id: string;
  bucket: string;
}

export interface StorageDatabase {
  user_bucket: UserBucketTable;
}

/** SQL of table `user_bucket`. */
export class StorageStore implements UserBucketStore {
  readonly #db: Kysely<StorageDatabase>;

  constructor(db: Kysely<StorageDatabase>) {
    this.#db = db;
  }

  async add(userId: string, bucket: string): Promise<void> {
    await this.#db
      .insertInto('user_bucket')
      .values({ user_id: userId, bucket })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async has(userId: string, bucket: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('user_bucket')
      .select('bucket')
      .where('user_id', '=', userId)
      .where('bucket', '=', bucket)
      .executeTakeFirst();
    return row !== undefined;
  }

  async remove(userId: string, bucket: string): Promise<void> {
    await this.#db
      .deleteFrom('user_bucket')
      .where('user_id', '=', userId)
      .where('bucket', '=', bucket)
      .execute();
  }
}
