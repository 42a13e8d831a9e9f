/** An S3 key pair. */
export interface S3Key {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Bucket operations on the installation's S3 with its admin key (port; S3BucketAdmin). */
export interface BucketAdmin {
  /** Creates the bucket unless it exists; true when this call created it. Idempotent. */
  ensureBucket(bucket: string): Promise<boolean>;
  /** Deletes every object and the bucket. Idempotent: a missing bucket is OK. */
  deleteBucket(bucket: string): Promise<void>;
}

/**
 * Per-user S3 identities on the installation's S3 (port). Each LZY user gets one identity with
 * one key that can use the buckets granted to it and nothing else: no other user's bucket, no
 * bucket listing beyond its own, no bucket creation, no admin API. The installation's admin key
 * keeps access to everything (the storage service and operators use it).
 *
 * Implementations:
 * - VersitygwUserKeys (s3/versitygw-user-keys.ts): an account of versitygw's internal IAM
 *   (`--iam-dir`) per user, role `user`; a granted bucket is owned by that account.
 * - SharedAdminKey (s3/shared-admin-key.ts): every user gets the admin key. Only for S3 servers
 *   without an IAM; no isolation between users (the issue-13 defect), chosen explicitly.
 * - A cloud provider (not written yet) would map the same calls to: AWS, an IAM user per LZY user
 *   (`lzy-<userId>`), `CreateAccessKey`, a bucket policy allowing only that user's ARN,
 *   `UpdateAccessKey Inactive` + `DeleteAccessKey` on rotation; Yandex Cloud (as LZY did), a
 *   service account per user with a static access key and a bucket ACL granting it. STS-style
 *   temporary keys do not fit: pylzy caches one key per process (client protocol §3.1).
 */
export interface UserKeyProvider {
  /** Set when every user gets this same key (SharedAdminKey): nothing is stored per user. */
  readonly sharedKey?: S3Key;
  /**
   * Makes a new identity for `userId` and returns its key; it can use no bucket yet. Not
   * idempotent: the caller stores the key (an identity made by a call whose result was lost is
   * an orphan with no bucket, harmless).
   */
  createKey(userId: string): Promise<S3Key>;
  /**
   * Makes `bucket` usable by `key`'s identity and by no other user's. Idempotent; a bucket
   * missing on S3 is skipped; restores the identity of `key` if the S3 server lost it.
   */
  grantBucket(bucket: string, key: S3Key): Promise<void>;
  /**
   * A new key for the identity of `old`, which keeps its buckets; `old` stops working (on
   * versitygw at once, per gateway process after its IAM cache of up to 2 min otherwise).
   * @throws FailedPrecondition when the provider has no per-user keys.
   */
  rotateKey(userId: string, old: S3Key): Promise<S3Key>;
  /** Removes the identity of `key`. Idempotent. */
  deleteKey(key: S3Key): Promise<void>;
}

/**
 * What is recorded for one user (port; StorageStore). Every method runs inside the user's lock
 * (see StorageRecords.forUser), so reads are current and nothing else changes them meanwhile.
 */
export interface UserRecords {
  key(): Promise<S3Key | undefined>;
  /** Stores (or replaces) the user's key, encrypted. */
  saveKey(key: S3Key): Promise<void>;
  /** Every bucket recorded for the user. */
  buckets(): Promise<string[]>;
  /** The user a bucket is recorded for, if any. */
  ownerOf(bucket: string): Promise<string | undefined>;
  /**
   * Records the bucket for the user. Idempotent.
   * @throws AlreadyExists when it is recorded for another user (a bucket has one owner).
   */
  addBucket(bucket: string): Promise<void>;
  /** Idempotent. */
  removeBucket(bucket: string): Promise<void>;
}

/** The storage service's records (port; StorageStore in production). */
export interface StorageRecords {
  /**
   * Runs `fn` holding `userId`'s lock, in one transaction: concurrent calls for the same user run
   * one after the other, so a new user gets exactly one key. `fn` may call S3 (its effects are
   * idempotent or harmless when the transaction rolls back).
   */
  forUser<T>(userId: string, fn: (records: UserRecords) => Promise<T>): Promise<T>;
  /** Lock-free read: the user's key and whether `bucket` is recorded for them. */
  peek(userId: string, bucket: string): Promise<{ key: S3Key | undefined; hasBucket: boolean }>;
}
