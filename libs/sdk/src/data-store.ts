import { Readable } from 'node:stream';
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore, objectAddress, presignS3Url } from '@lzy/blob';
import { FailedPrecondition, InvalidArgument, NotFound } from '@lzy/errors';
import type { commonStorage } from '@lzy/proto';
import { decodeFrom, encodeAny } from './serialization.ts';

/** The region sent to S3-compatible servers that ignore it (the local suite's versitygw). */
const DEFAULT_REGION = 'us-east-1';

/** `s3://bucket/key` → parts. @throws InvalidArgument for another scheme. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (match === null) throw new InvalidArgument(`'${uri}' is not an s3:// URI`);
  return { bucket: match[1] ?? '', key: match[2] ?? '' };
}

/**
 * Values in the user's storage (the StorageConfig of StartWorkflow or GetStorageCredentials):
 * encoded with serialization.ts, streamed to and from S3 so a large Buffer is never copied whole
 * more than once (the download lands in one preallocated buffer).
 */
export class DataStore {
  readonly #credentials: commonStorage.S3Credentials;
  readonly #stores = new Map<string, S3BlobStore>();
  #client: S3Client | undefined;

  constructor(storage: commonStorage.StorageConfig) {
    if (storage.credentials?.$case !== 's3') {
      throw new FailedPrecondition(
        `storage ${storage.uri} has no S3 credentials; the TypeScript SDK supports S3 storage only`,
      );
    }
    this.#credentials = storage.credentials.value;
  }

  /** Stores `value` at `uri`; a Readable is streamed into S3 (multipart), never held whole. */
  async put(uri: string, value: unknown): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const encoded = encodeAny(value);
    await this.#store(bucket).put(
      key,
      Readable.from(encoded.chunks, { objectMode: false }),
      encoded.sizeBytes === undefined ? {} : { sizeBytes: encoded.sizeBytes },
    );
  }

  /**
   * Reads the value at `uri`: a stream value as a Readable pulling from S3 as it is read, any
   * other value whole. @throws NotFound if nothing is stored there.
   */
  async get(uri: string): Promise<unknown> {
    const { bucket, key } = parseS3Uri(uri);
    const store = this.#store(bucket);
    const info = await store.head(key);
    if (info === undefined) throw new NotFound(`no value stored at ${uri}`);
    return decodeFrom(await store.get(key), info.sizeBytes);
  }

  /** Stores `bytes` as they are at `uri` unless something is there already (content-addressed). */
  async putBytesOnce(uri: string, bytes: Buffer): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const store = this.#store(bucket);
    if ((await store.head(key)) !== undefined) return;
    await store.put(key, Readable.from([bytes]), { sizeBytes: bytes.length });
  }

  /** A presigned GET URL of the object at `uri`, valid `expiresInS` seconds from `nowMs`. */
  presignGet(uri: string, nowMs: number, expiresInS: number): string {
    const { bucket, key } = parseS3Uri(uri);
    const { endpoint, region, accessKeyId, secretAccessKey } = this.#options();
    if (endpoint === undefined) {
      throw new FailedPrecondition('storage has no S3 endpoint: cannot hand workers a URL');
    }
    return presignS3Url({
      method: 'GET',
      address: objectAddress({ endpoint, region, bucket, key, forcePathStyle: true }),
      credentials: { accessKeyId, secretAccessKey },
      region,
      nowMs,
      expiresInS,
    });
  }

  /** Server-side copy of the object at `from` to `to` (same S3 endpoint). */
  async copy(from: string, to: string): Promise<void> {
    const source = parseS3Uri(from);
    const target = parseS3Uri(to);
    await this.#s3().send(
      new CopyObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        CopySource: `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`,
      }),
    );
  }

  close(): void {
    this.#client?.destroy();
    for (const store of this.#stores.values()) store.close();
    this.#stores.clear();
  }

  #store(bucket: string): S3BlobStore {
    let store = this.#stores.get(bucket);
    if (store === undefined) {
      store = new S3BlobStore({ ...this.#options(), bucket });
      this.#stores.set(bucket, store);
    }
    return store;
  }

  #s3(): S3Client {
    const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = this.#options();
    this.#client ??= new S3Client({
      region,
      forcePathStyle,
      ...(endpoint === undefined ? {} : { endpoint }),
      credentials: { accessKeyId, secretAccessKey },
    });
    return this.#client;
  }

  #options() {
    const { endpoint, accessToken, secretToken } = this.#credentials;
    return {
      region: DEFAULT_REGION,
      ...(endpoint === ''
        ? {}
        : { endpoint: endpoint.includes('://') ? endpoint : `http://${endpoint}` }),
      accessKeyId: accessToken,
      secretAccessKey: secretToken,
      // Servers without per-bucket DNS (the local suite) need path-style URLs.
      forcePathStyle: endpoint !== '',
    };
  }
}
