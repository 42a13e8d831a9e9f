import { SecretBox } from '@lzy/auth';
import { closeDatabase, createDatabase, startDatabaseInBackground } from '@lzy/db';
import {
  IamAuthenticator,
  MetricsRegistry,
  ReadinessGate,
  createChannelClient,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator, Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { iamAuthService } from '@lzy/proto';
import type { StorageConfig } from './config.ts';
import { storageMigrations } from './db/migrations/index.ts';
import { StorageStore } from './db/storage-store.ts';
import type { StorageDatabase } from './db/storage-store.ts';
import type { UserKeyProvider } from './domain/ports.ts';
import { StorageManager } from './domain/storage-manager.ts';
import { storageService } from './rpc/storage-service.ts';
import { S3BucketAdmin } from './s3/s3-bucket-admin.ts';
import { SharedAdminKey } from './s3/shared-admin-key.ts';
import { VersitygwUserKeys } from './s3/versitygw-user-keys.ts';

export interface StorageDeps {
  log: Logger;
  /** Default: IamAuthenticator against config.iamAddress. Tests pass a LocalAuthenticator. */
  authenticator?: Authenticator;
  clock?: Clock;
}

export interface RunningStorage {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_NAME = 'lzy.internal.storage.v1.StorageService';

function userKeyProvider(config: StorageConfig, log: Logger): UserKeyProvider {
  const { accessKeyId, secretAccessKey, region } = config.s3;
  switch (config.userKeys) {
    case 'versitygw':
      return new VersitygwUserKeys({
        endpoint: config.adminEndpoint,
        region,
        accessKeyId,
        secretAccessKey,
      });
    case 'shared-admin-key':
      log.warn(
        "LZY_S3_USER_KEYS=shared-admin-key: every user receives the admin S3 key and can read and change every other user's data",
      );
      return new SharedAdminKey({ accessKeyId, secretAccessKey });
  }
}

/**
 * Starts the storage service: per-user buckets and credentials on the configured S3 endpoint
 * (reference §9). Starts even while PostgreSQL is unreachable: migrations are retried in the
 * background and StorageService is NOT_SERVING (its RPCs UNAVAILABLE) until they are applied.
 */
export async function startStorage(
  config: StorageConfig,
  deps: StorageDeps,
): Promise<RunningStorage> {
  const { log } = deps;
  const clock = deps.clock ?? { now: () => Date.now() };
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db = createDatabase<StorageDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'storage' },
    applicationName: 'lzy-storage',
    log: log.child({ component: 'db' }),
  });
  const buckets = new S3BucketAdmin(config.s3);
  let iamClient: InstanceType<typeof iamAuthService.LzyAuthenticateServiceClient> | undefined;
  let authenticator = deps.authenticator;
  if (authenticator === undefined) {
    iamClient = createChannelClient(iamAuthService.LzyAuthenticateServiceClient, config.iamAddress);
    authenticator = new IamAuthenticator({ client: iamClient, clock });
  }
  const records = new StorageStore({ db, box: new SecretBox(config.encryptionKeys) });
  const manager = new StorageManager({
    buckets,
    keys: userKeyProvider(config, log),
    records,
    endpoint: config.s3.publicEndpoint,
  });
  const readiness = new ReadinessGate({
    services: [SERVICE_NAME],
    unavailableMessage: 'the storage database is not ready yet, retry later',
  });

  const server = await startGrpcServer({
    name: 'storage',
    ...config.server,
    metricsRegistry,
    log,
    authenticator,
    services: [storageService({ manager, ready: () => readiness.assertReady() })],
  });
  readiness.attach(server.health);
  const migration = startDatabaseInBackground({
    db,
    migrations: storageMigrations,
    steps: [
      {
        name: 'reseal stored S3 secrets',
        run: async () => {
          const count = await records.resealKeys((userId, err) =>
            log.warn({ err, userId }, 'a stored S3 secret does not open; left as it is'),
          );
          if (count > 0) log.info({ count }, 'resealed stored S3 secrets');
        },
      },
    ],
    onReady: () => readiness.markReady(),
    log: log.child({ component: 'migrate' }),
  });

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await server.stop();
    await migration.stop();
    buckets.close();
    iamClient?.close();
    await closeDatabase(db);
  };
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    stop: () => (stopping ??= stop()),
  };
}
