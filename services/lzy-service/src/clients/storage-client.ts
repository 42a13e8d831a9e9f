import { Unavailable } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import type { storage } from '@lzy/proto';
import type { StorageConfig, StoragePort } from '../domain/ports.ts';

/** StoragePort over lzy.internal.storage.v1. */
export class StorageClient implements StoragePort {
  readonly #client: storage.StorageServiceClient;

  constructor(deps: { client: storage.StorageServiceClient }) {
    this.#client = deps.client;
  }

  async createStorage(userId: string, bucket: string): Promise<StorageConfig> {
    const c = this.#client;
    const response = await unaryCall(c.createStorage.bind(c), { userId, bucket });
    return required(response.storage);
  }

  async getStorageCredentials(userId: string, bucket: string): Promise<StorageConfig> {
    const c = this.#client;
    const response = await unaryCall(c.getStorageCredentials.bind(c), { userId, bucket });
    return required(response.storage);
  }
}

function required(config: StorageConfig | undefined): StorageConfig {
  if (config === undefined) throw new Unavailable('storage service answered without a storage');
  return config;
}
