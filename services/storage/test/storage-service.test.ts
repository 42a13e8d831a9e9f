import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFound, PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { CleanupStack, s3Client, s3Config, usePostgres } from '@lzy/testing';
import { clientOf, createStorage, startStorageForTest, storageTemplate } from './fixtures.ts';
import type { StorageUnderTest } from './fixtures.ts';

const pg = usePostgres({ template: storageTemplate });
const cleanup = new CleanupStack();
let storage: StorageUnderTest;

beforeAll(async () => {
  storage = await startStorageForTest(pg.url, cleanup);
});

afterAll(() => cleanup.close());

const create = (userId: string, bucket = '') => createStorage(storage.internal, userId, bucket);

function credentialsOf(userId: string, bucket = '') {
  const c = storage.internal;
  return unaryCall(c.getStorageCredentials.bind(c), { userId, bucket });
}

describe('StorageService', () => {
  it('creates the tmp-bucket of a user once and answers the same storage when asked again', async () => {
    const first = await create('user-twice');
    const second = await create('user-twice');
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
    const answers = await Promise.all(Array.from({ length: 6 }, () => create('user-concurrent')));
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify(answers[0])]),
    );
    expect((await credentialsOf('user-concurrent')).storage).toEqual(answers[0]?.storage);
  });

  it('hands out credentials that can put and get objects in the bucket', async () => {
    const { storage: config } = await create('user-rw');
    const { client, bucket } = clientOf(config);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k/v', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k/v' }));
      expect(await got.Body?.transformToString()).toBe('hello');
    } finally {
      client.destroy();
    }
  });

  it('answers the credentials of a created storage and NOT_FOUND for a user without one', async () => {
    const { storage: created } = await create('user-creds');
    expect((await credentialsOf('user-creds')).storage).toEqual(created);
    await expect(credentialsOf('user-never-created')).rejects.toThrow(NotFound);
  });

  it('deletes the bucket and forgets it, and deleting again is OK', async () => {
    await create('user-delete');
    const request = { userId: 'user-delete', bucket: '' };
    const c = storage.internal;
    await unaryCall(c.deleteStorage.bind(c), request);
    await unaryCall(c.deleteStorage.bind(c), request);
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
    await expect(createStorage(storage.asAlice, 'alice')).rejects.toThrow(PermissionDenied);
  });

  it("refuses a VM of bob every storage RPC on alice's storage, while the services still get it", async () => {
    await create('alice-vm-target');
    const vm = storage.asBobVm;
    const request = { userId: 'alice-vm-target', bucket: '' };
    const vmOnly = /LZY services only: VMs/;
    await expect(createStorage(vm, 'alice-vm-target')).rejects.toThrow(vmOnly);
    await expect(unaryCall(vm.getStorageCredentials.bind(vm), request)).rejects.toThrow(vmOnly);
    await expect(unaryCall(vm.deleteStorage.bind(vm), request)).rejects.toThrow(vmOnly);
    await expect(unaryCall(vm.rotateStorageCredentials.bind(vm), request)).rejects.toThrow(vmOnly);
    expect((await credentialsOf('alice-vm-target')).storage?.uri).toBe(
      's3://tmp-bucket-alice-vm-target',
    );
  });
});
