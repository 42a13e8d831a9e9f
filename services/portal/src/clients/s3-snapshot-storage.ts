import type { Readable } from 'node:stream';
import { S3BlobStore } from '@lzy/blob';
import type { SnapshotLocation, SnapshotStoragePort } from '../domain/ports.ts';

/** SnapshotStoragePort over S3: one S3BlobStore per (endpoint, key pair, bucket), kept. */
export class S3SnapshotStorage implements SnapshotStoragePort {
  readonly #stores = new Map<string, S3BlobStore>();
  readonly #region: string;
  readonly #forcePathStyle: boolean;

  constructor(opts: { region: string; forcePathStyle: boolean }) {
    this.#region = opts.region;
    this.#forcePathStyle = opts.forcePathStyle;
  }

  async sizeOf(at: SnapshotLocation): Promise<number | undefined> {
    return (await this.#storeFor(at).head(at.key))?.sizeBytes;
  }

  async put(at: SnapshotLocation, body: AsyncIterable<Uint8Array>): Promise<number> {
    return (await this.#storeFor(at).put(at.key, body)).sizeBytes;
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
        region: this.#region,
        bucket: at.bucket,
        forcePathStyle: this.#forcePathStyle,
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
