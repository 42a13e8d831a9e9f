import { AlreadyExists, InvalidArgument, NotFound, PermissionDenied } from '@lzy/errors';
import { checkBucketName, userBucketName } from './bucket-name.ts';
import type { BucketAdmin, S3Key, StorageRecords, UserKeyProvider, UserRecords } from './ports.ts';

/** What a user gets to reach a bucket (ai.lzy.v1.common.StorageConfig in domain form). */
export interface UserStorage {
  uri: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StorageManagerDeps {
  buckets: BucketAdmin;
  keys: UserKeyProvider;
  records: StorageRecords;
  /** The endpoint users reach S3 at ('' = AWS). */
  endpoint: string;
}

/**
 * Per-user buckets and keys (reference §9). Each user has one S3 key, made on first need and the
 * same afterwards (pylzy caches it per process, client protocol §3.1), that can use exactly the
 * buckets recorded for that user (UserKeyProvider). A bucket is recorded for one user only.
 * Users recorded before keys existed get theirs on their next call, with all their buckets.
 */
export class StorageManager {
  readonly #deps: StorageManagerDeps;

  constructor(deps: StorageManagerDeps) {
    this.#deps = deps;
  }

  /**
   * Creates the user's bucket on S3 (if missing), the user's key (if missing), lets the key use
   * the bucket and records it. `bucket` '' = the user's default `tmp-bucket-<userId>` (see
   * userBucketName). Idempotent: the same answer every time, also for concurrent first calls.
   * @throws InvalidArgument for an empty user id or a bad bucket name; AlreadyExists when the
   *   bucket is another user's; Unavailable if S3 or the database is down.
   */
  async create(userId: string, bucket: string): Promise<UserStorage> {
    const name = this.#bucketOf(userId, bucket);
    const known = await this.#deps.records.peek(userId, name);
    const knownKey = this.#deps.keys.sharedKey ?? known.key;
    // The common case (every StartWorkflow): one HEAD re-creates a bucket lost on S3.
    if (known.hasBucket && knownKey !== undefined) {
      if (!(await this.#deps.buckets.ensureBucket(name))) return this.#storageOf(name, knownKey);
    }
    return this.#deps.records.forUser(userId, async (user) => {
      const owner = await user.ownerOf(name);
      if (owner !== undefined && owner !== userId) {
        throw new AlreadyExists(`bucket ${name} belongs to another user; choose another name`);
      }
      // Recorded before S3 is touched: a concurrent claim of the name by another user fails
      // here, before the grant could move the bucket to this user's key.
      await user.addBucket(name);
      await this.#deps.buckets.ensureBucket(name);
      const key = await this.#ensureKey(userId, user);
      await this.#deps.keys.grantBucket(name, key);
      return this.#storageOf(name, key);
    });
  }

  /**
   * The credentials of a bucket created earlier for the user (making the user's key if the
   * bucket predates per-user keys). Read-only otherwise.
   * @throws NotFound if CreateStorage never ran for (userId, bucket).
   */
  async credentials(userId: string, bucket: string): Promise<UserStorage> {
    const name = this.#bucketOf(userId, bucket);
    const known = await this.#deps.records.peek(userId, name);
    if (!known.hasBucket) throw new NotFound(`no storage ${name} was created for user ${userId}`);
    const knownKey = this.#deps.keys.sharedKey ?? known.key;
    if (knownKey !== undefined) return this.#storageOf(name, knownKey);
    const key = await this.#deps.records.forUser(userId, (user) => this.#ensureKey(userId, user));
    return this.#storageOf(name, key);
  }

  /**
   * Replaces the user's key; the old one stops working. Answers `bucket` with the new key.
   * @throws NotFound if CreateStorage never ran for (userId, bucket); FailedPrecondition when the
   *   provider has no per-user keys.
   */
  async rotate(userId: string, bucket: string): Promise<UserStorage> {
    const name = this.#bucketOf(userId, bucket);
    return this.#deps.records.forUser(userId, async (user) => {
      if (!(await user.buckets()).includes(name)) {
        throw new NotFound(`no storage ${name} was created for user ${userId}`);
      }
      const old = this.#deps.keys.sharedKey ?? (await user.key());
      if (old === undefined) return this.#storageOf(name, await this.#ensureKey(userId, user));
      const key = await this.#deps.keys.rotateKey(userId, old);
      await user.saveKey(key);
      return this.#storageOf(name, key);
    });
  }

  /**
   * Deletes the bucket with its content and forgets it; the user's key stays (other buckets,
   * clients holding it). Idempotent.
   * @throws PermissionDenied when the bucket is another user's.
   */
  async delete(userId: string, bucket: string): Promise<void> {
    const name = this.#bucketOf(userId, bucket);
    await this.#deps.records.forUser(userId, async (user) => {
      const owner = await user.ownerOf(name);
      if (owner !== undefined && owner !== userId) {
        throw new PermissionDenied(`bucket ${name} belongs to another user`);
      }
      await this.#deps.buckets.deleteBucket(name);
      await user.removeBucket(name);
    });
  }

  /** The user's key; a new one is made and given every bucket already recorded for the user. */
  async #ensureKey(userId: string, user: UserRecords): Promise<S3Key> {
    if (this.#deps.keys.sharedKey !== undefined) return this.#deps.keys.sharedKey;
    const existing = await user.key();
    if (existing !== undefined) return existing;
    const key = await this.#deps.keys.createKey(userId);
    await user.saveKey(key);
    for (const bucket of await user.buckets()) await this.#deps.keys.grantBucket(bucket, key);
    return key;
  }

  #bucketOf(userId: string, bucket: string): string {
    if (userId === '') throw new InvalidArgument('user_id is required');
    return bucket === '' ? userBucketName(userId) : checkBucketName(bucket);
  }

  #storageOf(bucket: string, key: S3Key): UserStorage {
    return { uri: `s3://${bucket}`, endpoint: this.#deps.endpoint, ...key };
  }
}
