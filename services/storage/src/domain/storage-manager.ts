import { InvalidArgument, NotFound } from '@lzy/errors';
import { checkBucketName, userBucketName } from './bucket-name.ts';

/** Bucket operations on the installation's S3 (port; S3BucketAdmin in production). */
export interface BucketAdmin {
  /** Creates the bucket unless it exists. Idempotent. */
  ensureBucket(bucket: string): Promise<void>;
  /** Deletes every object and the bucket. Idempotent: a missing bucket is OK. */
  deleteBucket(bucket: string): Promise<void>;
}

/** Which buckets were created for which users (port; StorageStore in production). */
export interface UserBucketStore {
  /** Records (userId, bucket). Idempotent. */
  add(userId: string, bucket: string): Promise<void>;
  has(userId: string, bucket: string): Promise<boolean>;
  /** Idempotent. */
  remove(userId: string, bucket: string): Promise<void>;
}

/** What a user gets to reach a bucket (ai.lzy.v1.common.StorageConfig in domain form). */
export interface UserStorage {
  uri: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StorageManagerDeps {
  buckets: BucketAdmin;
  store: UserBucketStore;
  /** The installation's one key pair and the endpoint users reach S3 at. */
  credentials: { endpoint: string; accessKeyId: string; secretAccessKey: string };
}

/**
 * Per-user buckets (reference §9). Every user receives the installation's key pair: a local S3
 * has no IAM to mint per-user keys, so isolation between users is not enforced by S3 (known gap;
 * a cloud provider would create a service account + static key per user as LZY did on YC).
 */
export class StorageManager {
  readonly #deps: StorageManagerDeps;

  constructor(deps: StorageManagerDeps) {
    this.#deps = deps;
  }

  /**
   * Creates the user's bucket on S3 (if missing) and records it. `bucket` '' = the user's
   * default `tmp-bucket-<userId>` (see userBucketName). Idempotent: same answer every time.
   * @throws InvalidArgument for an empty user id or a bad bucket name; Unavailable if S3 or the
   *   database is down.
   */
  async create(userId: string, bucket: string): Promise<UserStorage> {
    const name = this.#bucketOf(userId, bucket);
    await this.#deps.buckets.ensureBucket(name);
    await this.#deps.store.add(userId, name);
    return this.#storageOf(name);
  }

  /**
   * The credentials of a bucket created earlier for the user.
   * @throws NotFound if CreateStorage never ran for (userId, bucket).
   */
  async credentials(userId: string, bucket: string): Promise<UserStorage> {
    const name = this.#bucketOf(userId, bucket);
    if (!(await this.#deps.store.has(userId, name)))
      throw new NotFound(`no storage ${name} was created for user ${userId}`);
    return this.#storageOf(name);
  }

  /** Deletes the bucket with its content and forgets it. Idempotent. */
  async delete(userId: string, bucket: string): Promise<void> {
    const name = this.#bucketOf(userId, bucket);
    await this.#deps.buckets.deleteBucket(name);
    await this.#deps.store.remove(userId, name);
  }

  #bucketOf(userId: string, bucket: string): string {
    if (userId === '') throw new InvalidArgument('user_id is required');
    return bucket === '' ? userBucketName(userId) : checkBucketName(bucket);
  }

  #storageOf(bucket: string): UserStorage {
    const { endpoint, accessKeyId, secretAccessKey } = this.#deps.credentials;
    return { uri: `s3://${bucket}`, endpoint, accessKeyId, secretAccessKey };
  }
}
