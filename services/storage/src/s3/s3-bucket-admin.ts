import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Unavailable } from '@lzy/errors';
import type { S3AdminConfig } from '../config.ts';
import type { BucketAdmin } from '../domain/ports.ts';

/** HTTP statuses an S3 server answers when a bucket is missing or already there. */
const MISSING = new Set(['NoSuchBucket', 'NotFound']);
const ALREADY_THERE = new Set(['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);

/** BucketAdmin over the installation's S3 with its admin key pair. No I/O until a call. */
export class S3BucketAdmin implements BucketAdmin {
  readonly #client: S3Client;

  constructor(config: S3AdminConfig) {
    const { accessKeyId, secretAccessKey } = config;
    this.#client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      ...(accessKeyId === '' ? {} : { credentials: { accessKeyId, secretAccessKey } }),
    });
  }

  async ensureBucket(bucket: string): Promise<boolean> {
    if (await this.#exists(bucket)) return false;
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: bucket }));
      return true;
    } catch (err) {
      if (err instanceof S3ServiceException && ALREADY_THERE.has(err.name)) return false;
      throw mapS3Error(err, `creating bucket ${bucket}`);
    }
  }

  async deleteBucket(bucket: string): Promise<void> {
    try {
      for (;;) {
        const page = await this.#client.send(new ListObjectsV2Command({ Bucket: bucket }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
        if (keys.length === 0) break;
        await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      }
      await this.#client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (err instanceof S3ServiceException && MISSING.has(err.name)) return;
      throw mapS3Error(err, `deleting bucket ${bucket}`);
    }
  }

  close(): void {
    this.#client.destroy();
  }

  async #exists(bucket: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (err) {
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return false;
      throw mapS3Error(err, `looking up bucket ${bucket}`);
    }
  }
}

/** Network failures and S3 5xx become Unavailable (retryable); the rest stays as is. */
function mapS3Error(err: unknown, what: string): unknown {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode ?? 0;
    if (status >= 500) return new Unavailable(`S3 failed ${what}, retry later`, { cause: err });
    return err;
  }
  return new Unavailable(`S3 is unreachable while ${what}, retry later`, { cause: err });
}
