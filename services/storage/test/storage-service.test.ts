import {
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { NotFound, PermissionDenied } from '@lzy/errors';
import {
  LocalAuthenticator,
  createChannelClient,
  internalCallCredentials,
  unaryCall,
} from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { storage } from '@lzy/proto';
import {
  CleanupStack,
  checkHealth,
  pollUntil,
  s3Client,
  s3Config,
  usePostgres,
} from '@lzy/testing';
import { loadStorageConfig } from '../src/config.ts';
import { storageMigrations } from '../src/db/migrations/index.ts';
import { startStorage } from '../src/service.ts';
import type { RunningStorage } from '../src/service.ts';

const pg = usePostgres({
  template: {
    name: 'lzy_storage_template',
    migrate: async (url) => {
      const db = createDatabase({ url });
      try {
        await migrateToLatest(db, storageMigrations);
      } finally {
        await closeDatabase(db);
      }
    },
  },
});

const clock = { now: () => Date.now() };
const log = createLogger({ service: 'storage-test', level: 'silent' });
const cleanup = new CleanupStack();
let internalKey: RsaKeyPair;
let aliceKey: RsaKeyPair;
let service: RunningStorage;
let internal: storage.StorageServiceClient;
let asAlice: storage.StorageServiceClient;

beforeAll(async () => {
  [internalKey, aliceKey] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  const authenticator = new LocalAuthenticator({
    clock,
    findPublicKeys: (login, provider) => {
      if (login === 'lzy-internal' && provider === 'INTERNAL')
        return Promise.resolve({
          subject: { id: 'lzy-internal', type: 'USER' },
          publicKeyPems: [internalKey.publicKeyPem],
        });
      if (login === 'alice' && provider === 'GITHUB')
        return Promise.resolve({
          subject: { id: 'alice', type: 'USER' },
          publicKeyPems: [aliceKey.publicKeyPem],
        });
      return Promise.resolve(undefined);
    },
  });
  const s3 = s3Config();
  const config = loadStorageConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_DB_URL: pg.url,
    LZY_S3_ENDPOINT: s3.endpoint,
    LZY_S3_REGION: s3.region,
    LZY_S3_ACCESS_KEY_ID: s3.accessKeyId,
    LZY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });
  service = await startStorage(config, { log, authenticator, clock });
  cleanup.defer(() => service.stop());
  const address = `127.0.0.1:${service.port}`;
  await pollUntil(
    async () =>
      (await checkHealth(address, 'lzy.internal.storage.v1.StorageService')) === 'SERVING'
        ? true
        : undefined,
    { timeoutMs: 30_000, description: 'storage migrated' },
  );
  internal = createChannelClient(storage.StorageServiceClient, address, {
    callCredentials: internalCallCredentials({ privateKeyPem: internalKey.privateKeyPem, clock }),
  });
  cleanup.defer(() => internal.close());
  asAlice = createChannelClient(storage.StorageServiceClient, address, {
    callCredentials: () =>
      Promise.resolve(
        signLzyJwt({
          issuer: 'alice',
          provider: 'GITHUB',
          privateKeyPem: aliceKey.privateKeyPem,
          nowMs: Date.now(),
        }),
      ),
  });
  cleanup.defer(() => asAlice.close());
});

afterAll(() => cleanup.close());

function create(client: storage.StorageServiceClient, userId: string, bucket = '') {
  return unaryCall(client.createStorage.bind(client), { userId, bucket });
}

function credentialsOf(userId: string, bucket = '') {
  return unaryCall(internal.getStorageCredentials.bind(internal), { userId, bucket });
}

function s3Of(config: storage.CreateStorageResponse['storage']): {
  client: S3Client;
  bucket: string;
} {
  if (config?.credentials?.$case !== 's3') throw new Error('expected S3 credentials');
  const creds = config.credentials.value;
  return {
    client: new S3Client({
      endpoint: creds.endpoint,
      region: s3Config().region,
      forcePathStyle: true,
      credentials: { accessKeyId: creds.accessToken, secretAccessKey: creds.secretToken },
    }),
    bucket: config.uri.replace(/^s3:\/\//, ''),
  };
}

describe('StorageService', () => {
  it('creates the tmp-bucket of a user once and answers the same storage when asked again', async () => {
    const first = await create(internal, 'user-twice');
    const second = await create(internal, 'user-twice');
    expect(first.storage?.uri).toBe('s3://tmp-bucket-user-twice');
    expect(second).toEqual(first);
    const admin = s3Client(s3Config());
    try {
      await admin.send(new HeadBucketCommand({ Bucket: 'tmp-bucket-user-twice' }));
    } finally {
      admin.destroy();
    }
  });

  it('creates the storage once when a new user asks for it concurrently', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => create(internal, 'user-concurrent')),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify(answers[0])]),
    );
    expect((await credentialsOf('user-concurrent')).storage).toEqual(answers[0]?.storage);
  });

  it('hands out credentials that can put and get objects in the bucket', async () => {
    const { storage: config } = await create(internal, 'user-rw');
    const { client, bucket } = s3Of(config);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k/v', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k/v' }));
      expect(await got.Body?.transformToString()).toBe('hello');
    } finally {
      client.destroy();
    }
  });

  it('answers the credentials of a created storage and NOT_FOUND for a user without one', async () => {
    const { storage: created } = await create(internal, 'user-creds');
    expect((await credentialsOf('user-creds')).storage).toEqual(created);
    await expect(credentialsOf('user-never-created')).rejects.toThrow(NotFound);
  });

  it('deletes the bucket and forgets it, and deleting again is OK', async () => {
    await create(internal, 'user-delete');
    const request = { userId: 'user-delete', bucket: '' };
    await unaryCall(internal.deleteStorage.bind(internal), request);
    await unaryCall(internal.deleteStorage.bind(internal), request);
    await expect(credentialsOf('user-delete')).rejects.toThrow(NotFound);
    const admin = s3Client(s3Config());
    try {
      await expect(
        admin.send(new HeadBucketCommand({ Bucket: 'tmp-bucket-user-delete' })),
      ).rejects.toThrow();
    } finally {
      admin.destroy();
    }
  });

  it('refuses end users with PERMISSION_DENIED', async () => {
    await expect(create(asAlice, 'alice')).rejects.toThrow(PermissionDenied);
  });
});
