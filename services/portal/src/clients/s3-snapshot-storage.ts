import type { Readable } from 'node:stream';
import { S3BlobStore } from '@lzy/blob';
import type {
  PresignedPart,
  SnapshotLocation,
  SnapshotStoragePort,
  StoredPart,
} from '../domain/ports.ts';

export interface S3SnapshotStorageOptions {
  region: string;
  forcePathStyle: boolean;
  /**
   * Multipart part size (bytes, ≥ 5 MiB). Objects of at least one part are uploaded by their
   * sender (putFromSender); smaller ones go through this process in one PutObject.
   */
  partSizeBytes: number;
  /** Parts this process uploads at once (`put`); memory is (this + 1) × partSizeBytes per put. */
  queueSize: number;
}

/** SnapshotStoragePort over S3: one S3BlobStore per (endpoint, key pair, bucket), kept. */
export class S3SnapshotStorage implements SnapshotStoragePort {
  readonly #stores = new Map<string, S3BlobStore>();
  readonly #opts: S3SnapshotStorageOptions;

  constructor(opts: S3SnapshotStorageOptions) {
    this.#opts = opts;
  }

  get senderUploadMinBytes(): number {
    return this.#opts.partSizeBytes;
  }

  async sizeOf(at: SnapshotLocation): Promise<number | undefined> {
    return (await this.#storeFor(at).head(at.key))?.sizeBytes;
  }

  async put(at: SnapshotLocation, body: AsyncIterable<Uint8Array>): Promise<number> {
    return (await this.#storeFor(at).put(at.key, body)).sizeBytes;
  }

  putFromSender(
    at: SnapshotLocation,
    sizeBytes: number,
    send: (parts: readonly PresignedPart[], signal: AbortSignal) => AsyncIterable<StoredPart>,
    signal: AbortSignal,
  ): Promise<void> {
    return this.#storeFor(at).putFromSender(at.key, sizeBytes, send, { signal });
  }

  get(at: SnapshotLocation, offset: number): Promise<Readable> {
    return this.#storeFor(at).get(at.key, { range: { start: offset } });
  }

  close(): void {
    for (const store of this.#stores.values()) store.close();
    this.#stores.clear();
  }

  #storeFor(at: SnapshotLocation): S3BlobStore {
    const id = JSON.stringify([at.endpoint, at.accessKeyId, at.bucket]);
    let store = this.#stores.get(id);
    if (store === undefined) {
      store = new S3BlobStore({
        region: this.#opts.region,
        bucket: at.bucket,
        forcePathStyle: this.#opts.forcePathStyle,
        partSizeBytes: this.#opts.partSizeBytes,
        queueSize: this.#opts.queueSize,
        ...(at.endpoint === '' ? {} : { endpoint: at.endpoint }),
        ...(at.accessKeyId === ''
          ? {}
          : { accessKeyId: at.accessKeyId, secretAccessKey: at.secretAccessKey }),
      });
      this.#stores.set(id, store);
    }
    return store;
  }
}
