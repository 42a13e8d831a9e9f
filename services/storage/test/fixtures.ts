import { S3Client } from '@aws-sdk/client-s3';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import type { Env } from '@lzy/config';
import {
  LocalAuthenticator,
  createChannelClient,
  internalCallCredentials,
  unaryCall,
} from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { commonStorage } from '@lzy/proto';
import { storage } from '@lzy/proto';
import type { CleanupStack, TemplateSpec } from '@lzy/testing';
import { checkHealth, pollUntil, s3Config, testEncryptionKeys } from '@lzy/testing';
import { loadStorageConfig } from '../src/config.ts';
import { storageMigrations } from '../src/db/migrations/index.ts';
import { startStorage } from '../src/service.ts';

export const storageTemplate: TemplateSpec = {
  name: 'lzy_storage_template_v2',
  migrate: async (url) => {
    const db = createDatabase({ url });
    try {
      await migrateToLatest(db, storageMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

const clock = { now: () => Date.now() };

/** The storage service on port 0 against the run's versitygw, and its clients. */
export interface StorageUnderTest {
  address: string;
  /** Signed as the services' internal identity. */
  internal: storage.StorageServiceClient;
  /** Signed as the end user `alice` (internal RPCs must refuse her). */
  asAlice: storage.StorageServiceClient;
  /** Signed as the VM `vm-bob-1` (a worker of bob: its key is readable by bob's ops). */
  asBobVm: storage.StorageServiceClient;
}

/**
 * Starts the storage service (versitygw accounts per user) with a LocalAuthenticator that knows
 * `lzy-internal`, `alice` and the VM `vm-bob-1`; stopped by `cleanup`. `env` overrides variables.
 */
export async function startStorageForTest(
  dbUrl: string,
  cleanup: CleanupStack,
  env: Env = {},
): Promise<StorageUnderTest> {
  const [internalKey, aliceKey, vmKey]: RsaKeyPair[] = await Promise.all([
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
  ]);
  const authenticator = new LocalAuthenticator({
    clock,
    findPublicKeys: (login, provider) => {
      if (login === 'lzy-internal' && provider === 'INTERNAL')
        return Promise.resolve({
          subject: { id: 'lzy-internal', type: 'USER' },
          publicKeyPems: [internalKey!.publicKeyPem],
        });
      if (login === 'vm-bob-1' && provider === 'INTERNAL')
        return Promise.resolve({
          subject: { id: 'vm-bob-1', type: 'VM' },
          publicKeyPems: [vmKey!.publicKeyPem],
        });
      if (login === 'alice' && provider === 'GITHUB')
        return Promise.resolve({
          subject: { id: 'alice', type: 'USER' },
          publicKeyPems: [aliceKey!.publicKeyPem],
        });
      return Promise.resolve(undefined);
    },
  });
  const s3 = s3Config();
  const config = loadStorageConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_DB_URL: dbUrl,
    LZY_S3_ENDPOINT: s3.endpoint,
    LZY_S3_REGION: s3.region,
    LZY_S3_ACCESS_KEY_ID: s3.accessKeyId,
    LZY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
    ...env,
  });
  const log = createLogger({ service: 'storage-test', level: 'silent' });
  const service = await startStorage(config, { log, authenticator, clock });
  cleanup.defer(() => service.stop());
  const address = `127.0.0.1:${service.port}`;
  await pollUntil(
    async () =>
      (await checkHealth(address, 'lzy.internal.storage.v1.StorageService')) === 'SERVING'
        ? true
        : undefined,
    { timeoutMs: 30_000, description: 'storage migrated' },
  );
  const internal = createChannelClient(storage.StorageServiceClient, address, {
    callCredentials: internalCallCredentials({ privateKeyPem: internalKey!.privateKeyPem, clock }),
  });
  cleanup.defer(() => internal.close());
  const asAlice = createChannelClient(storage.StorageServiceClient, address, {
    callCredentials: () =>
      Promise.resolve(
        signLzyJwt({
          issuer: 'alice',
          provider: 'GITHUB',
          privateKeyPem: aliceKey!.privateKeyPem,
          nowMs: Date.now(),
        }),
      ),
  });
  cleanup.defer(() => asAlice.close());
  const asBobVm = createChannelClient(storage.StorageServiceClient, address, {
    callCredentials: internalCallCredentials({
      privateKeyPem: vmKey!.privateKeyPem,
      issuer: 'vm-bob-1',
      clock,
    }),
  });
  cleanup.defer(() => asBobVm.close());
  return { address, internal, asAlice, asBobVm };
}

export function createStorage(client: storage.StorageServiceClient, userId: string, bucket = '') {
  return unaryCall(client.createStorage.bind(client), { userId, bucket });
}

/** A path-style client with the storage's own key, and its bucket; the caller destroys it. */
export function clientOf(config: commonStorage.StorageConfig | undefined): {
  client: S3Client;
  bucket: string;
  accessKeyId: string;
} {
  if (config?.credentials?.$case !== 's3') throw new Error('expected S3 credentials');
  const creds = config.credentials.value;
  return {
    client: new S3Client({
      endpoint: creds.endpoint,
      region: s3Config().region,
      forcePathStyle: true,
      credentials: { accessKeyId: creds.accessToken, secretAccessKey: creds.secretToken },
      // An attacker's refused call must fail at once, not after the SDK's retries.
      maxAttempts: 1,
    }),
    bucket: config.uri.replace(/^s3:\/\//, ''),
    accessKeyId: creds.accessToken,
  };
}
