import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { SecretBox } from '@lzy/auth';
import { withTransaction } from '@lzy/db';
import { AlreadyExists } from '@lzy/errors';
import type { S3Key, StorageRecords, UserRecords } from '../domain/ports.ts';

export interface UserBucketTable {
  user_id: string;
  bucket: string;
}

export interface UserKeyTable {
  user_id: string;
  access_key_id: string;
  /** SecretBox-sealed secret access key, context `user_key:<user_id>`. */
  secret_sealed: string;
  rotated_at: Date | null;
}

export interface StorageDatabase {
  user_bucket: UserBucketTable;
  user_key: UserKeyTable;
}

type Db = Kysely<StorageDatabase>;

/** SQL of tables `user_bucket` and `user_key`; secrets sealed with `box`. */
export class StorageStore implements StorageRecords {
  readonly #db: Db;
  readonly #box: SecretBox;

  constructor(deps: { db: Db; box: SecretBox }) {
    this.#db = deps.db;
    this.#box = deps.box;
  }

  forUser<T>(userId: string, fn: (records: UserRecords) => Promise<T>): Promise<T> {
    // READ COMMITTED: each statement sees what was committed before it, so after waiting for the
    // lock we see the key another call just made (a repeatable-read snapshot would predate it).
    return withTransaction(
      this.#db,
      async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`storage-user:${userId}`}, 0))`.execute(
          trx,
        );
        return fn(this.#recordsOf(trx, userId));
      },
      { isolation: 'read committed' },
    );
  }

  /**
   * Re-seals every stored secret sealed with a key that no longer seals (after a rotation of
   * LZY_ENCRYPTION_KEYS). A secret that does not open is reported and left. Idempotent; run at
   * start-up. Returns how many it rewrote.
   */
  async resealKeys(onUnreadable: (userId: string, err: unknown) => void): Promise<number> {
    const prefix = this.#box.sealingPrefix;
    let after = '';
    let total = 0;
    for (;;) {
      const rows = await this.#db
        .selectFrom('user_key')
        .select(['user_id', 'secret_sealed'])
        .where('user_id', '>', after)
        .where(sql<boolean>`left(secret_sealed, ${prefix.length}) <> ${prefix}`)
        .orderBy('user_id')
        .limit(500)
        .execute();
      if (rows.length === 0) return total;
      for (const row of rows) {
        after = row.user_id;
        const context = `user_key:${row.user_id}`;
        let sealed: string;
        try {
          sealed = this.#box.seal(this.#box.open(row.secret_sealed, context), context);
        } catch (err) {
          onUnreadable(row.user_id, err);
          continue;
        }
        await this.#db
          .updateTable('user_key')
          .set({ secret_sealed: sealed })
          .where('user_id', '=', row.user_id)
          .where('secret_sealed', '=', row.secret_sealed)
          .execute();
        total += 1;
      }
    }
  }

  async peek(
    userId: string,
    bucket: string,
  ): Promise<{ key: S3Key | undefined; hasBucket: boolean }> {
    const records = this.#recordsOf(this.#db, userId);
    const [key, owner] = await Promise.all([records.key(), records.ownerOf(bucket)]);
    return { key, hasBucket: owner === userId };
  }

  #recordsOf(db: Db | Transaction<StorageDatabase>, userId: string): UserRecords {
    const box = this.#box;
    const context = `user_key:${userId}`;
    return {
      async key() {
        const row = await db
          .selectFrom('user_key')
          .select(['access_key_id', 'secret_sealed'])
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (row === undefined) return undefined;
        return {
          accessKeyId: row.access_key_id,
          secretAccessKey: box.open(row.secret_sealed, context),
        };
      },
      async saveKey(key) {
        const values = {
          access_key_id: key.accessKeyId,
          secret_sealed: box.seal(key.secretAccessKey, context),
        };
        await db
          .insertInto('user_key')
          .values({ user_id: userId, ...values, rotated_at: null })
          .onConflict((oc) =>
            oc.column('user_id').doUpdateSet({ ...values, rotated_at: new Date() }),
          )
          .execute();
      },
      async buckets() {
        const rows = await db
          .selectFrom('user_bucket')
          .select('bucket')
          .where('user_id', '=', userId)
          .orderBy('bucket')
          .execute();
        return rows.map((row) => row.bucket);
      },
      async ownerOf(bucket) {
        const row = await db
          .selectFrom('user_bucket')
          .select('user_id')
          .where('bucket', '=', bucket)
          .executeTakeFirst();
        return row?.user_id;
      },
      async addBucket(bucket) {
        try {
          await db
            .insertInto('user_bucket')
            .values({ user_id: userId, bucket })
            .onConflict((oc) => oc.columns(['user_id', 'bucket']).doNothing())
            .execute();
        } catch (err) {
          // The unique index on `bucket` alone: recorded for another user meanwhile.
          if (!(err instanceof AlreadyExists)) throw err;
          throw new AlreadyExists(`bucket ${bucket} belongs to another user; choose another name`, {
            cause: err,
          });
        }
      },
      async removeBucket(bucket) {
        await db
          .deleteFrom('user_bucket')
          .where('user_id', '=', userId)
          .where('bucket', '=', bucket)
          .execute();
      },
    };
  }
}
