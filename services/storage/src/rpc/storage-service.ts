import { implement, requireServiceCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import type { commonStorage } from '@lzy/proto';
import { storage } from '@lzy/proto';
import type { StorageManager, UserStorage } from '../domain/storage-manager.ts';

function toStorageConfig(s: UserStorage): commonStorage.StorageConfig {
  return {
    uri: s.uri,
    credentials: {
      $case: 's3',
      value: { endpoint: s.endpoint, accessToken: s.accessKeyId, secretToken: s.secretAccessKey },
    },
  };
}

/**
 * lzy.internal.storage.v1.StorageService: internal callers only. `ready()` throws Unavailable
 * until the database is migrated.
 */
export function storageService(deps: {
  manager: StorageManager;
  ready: () => void;
}): ServiceRegistration {
  const { manager, ready } = deps;
  return implement(storage.StorageServiceService, {
    createStorage: async (req, ctx) => {
      requireServiceCaller(ctx);
      ready();
      const created = await manager.create(req.userId, req.bucket);
      ctx.log.info({ userId: req.userId, uri: created.uri }, 'storage ensured');
      return { storage: toStorageConfig(created) };
    },
    deleteStorage: async (req, ctx) => {
      requireServiceCaller(ctx);
      ready();
      await manager.delete(req.userId, req.bucket);
      ctx.log.info({ userId: req.userId, bucket: req.bucket }, 'storage deleted');
      return {};
    },
    getStorageCredentials: async (req, ctx) => {
      requireServiceCaller(ctx);
      ready();
      return { storage: toStorageConfig(await manager.credentials(req.userId, req.bucket)) };
    },
    rotateStorageCredentials: async (req, ctx) => {
      requireServiceCaller(ctx);
      ready();
      const rotated = await manager.rotate(req.userId, req.bucket);
      ctx.log.info({ userId: req.userId, accessKeyId: rotated.accessKeyId }, 'S3 key rotated');
      return { storage: toStorageConfig(rotated) };
    },
  });
}
