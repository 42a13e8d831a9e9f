import { createHash, createHmac, randomUUID } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase } from '@lzy/db';
import { AlreadyExists, PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import type { commonStorage } from '@lzy/proto';
import { CleanupStack, s3Client, s3Config, testEncryptionKeys, usePostgres } from '@lzy/testing';
import { VersitygwUserKeys } from '../src/s3/versitygw-user-keys.ts';
import { clientOf, createStorage, startStorageForTest, storageTemplate } from './fixtures.ts';
import type { StorageUnderTest } from './fixtures.ts';

/*
 * Issue 13 item 1, played against the run's real versitygw: each user's S3 key reaches that
 * user's buckets only. User ids are unique per run (the S3 server is shared by every test file).
 */

const pg = usePostgres({ template: storageTemplate });
const cleanup = new CleanupStack();
let storage: StorageUnderTest;

beforeAll(async () => {
  storage = await startStorageForTest(pg.url, cleanup);
});

afterAll(() => cleanup.close());

const newUser = (name: string) => `${name}-${randomUUID()}`;

async function userStorage(userId: string, bucket = '') {
  const { storage: config } = await createStorage(storage.internal, userId, bucket);
  const s3 = clientOf(config);
  cleanup.defer(() => s3.client.destroy());
  return { ...s3, config: config! };
}

function credentialsOf(userId: string, bucket = '') {
  const c = storage.internal;
  return unaryCall(c.getStorageCredentials.bind(c), { userId, bucket });
}

async function read(client: S3Client, bucket: string, key: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
}

/** The HTTP status S3 answered a refused call with. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

describe('per-user S3 keys', () => {
  it('gives each user a key of their own, never the admin key, the same on every call', async () => {
    const alice = newUser('alice');
    const a1 = await userStorage(alice);
    const a2 = await userStorage(alice);
    const b = await userStorage(newUser('bob'));
    expect(a1.accessKeyId).toBe(a2.accessKeyId);
    expect(a1.config).toEqual(a2.config);
    expect((await credentialsOf(alice)).storage).toEqual(a1.config);
    expect(a1.accessKeyId).not.toBe(b.accessKeyId);
    expect([a1.accessKeyId, b.accessKeyId]).not.toContain(s3Config().accessKeyId);
  });

  it("refuses one user's key every look at and change of another user's objects and whiteboards", async () => {
    const a = await userStorage(newUser('alice'));
    const b = await userStorage(newUser('bob'));
    const result = 'lzy_runs/wf/e1/data/f.return_0.c1';
    const whiteboard = 'whiteboards/metrics/w1/.whiteboard';
    for (const key of [result, whiteboard]) {
      await a.client.send(new PutObjectCommand({ Bucket: a.bucket, Key: key, Body: `A:${key}` }));
    }
    await b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key: 'mine', Body: 'B' }));

    const listed = await b.client.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((bucket) => bucket.Name)).toEqual([b.bucket]);
    const bob = b.client;
    const A = a.bucket;
    const refused = {
      list: bob.send(new ListObjectsV2Command({ Bucket: A })),
      get: bob.send(new GetObjectCommand({ Bucket: A, Key: result })),
      head: bob.send(new HeadObjectCommand({ Bucket: A, Key: whiteboard })),
      overwrite: bob.send(new PutObjectCommand({ Bucket: A, Key: result, Body: 'evil' })),
      plant: bob.send(new PutObjectCommand({ Bucket: A, Key: 'planted', Body: 'evil' })),
      delete: bob.send(new DeleteObjectCommand({ Bucket: A, Key: whiteboard })),
      deleteMany: bob
        .send(new DeleteObjectsCommand({ Bucket: A, Delete: { Objects: [{ Key: result }] } }))
        .then((answer) => {
          if ((answer.Errors ?? []).length > 0)
            throw Object.assign(new Error('refused'), {
              $metadata: { httpStatusCode: 403 },
            });
        }),
      copyOut: bob.send(
        new CopyObjectCommand({ Bucket: b.bucket, Key: 'stolen', CopySource: `${A}/${result}` }),
      ),
      copyIn: bob.send(
        new CopyObjectCommand({ Bucket: A, Key: result, CopySource: `${b.bucket}/mine` }),
      ),
      multipartIn: bob.send(new CreateMultipartUploadCommand({ Bucket: A, Key: 'mp' })),
      readAcl: bob.send(new GetBucketAclCommand({ Bucket: A })),
      openUp: bob.send(
        new PutBucketPolicyCommand({
          Bucket: A,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${A}/*` },
            ],
          }),
        }),
      ),
      deleteBucket: bob.send(new DeleteBucketCommand({ Bucket: A })),
      createBucket: bob.send(new CreateBucketCommand({ Bucket: `b-${randomUUID()}` })),
    };
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(refused).map(async ([name, call]) => [name, await statusOf(call)] as const),
      ),
    );
    expect(statuses).toEqual(Object.fromEntries(Object.keys(refused).map((name) => [name, 403])));

    expect(await read(a.client, A, result)).toBe(`A:${result}`);
    expect(await read(a.client, A, whiteboard)).toBe(`A:${whiteboard}`);
    const left = await a.client.send(new ListObjectsV2Command({ Bucket: A }));
    expect(left.Contents?.map((o) => o.Key).sort()).toEqual([result, whiteboard].sort());
  });

  it('lets a user do in their own bucket what pylzy does: multipart put, head, get, copy, presigned GET', async () => {
    const a = await userStorage(newUser('alice'));
    const { client, bucket } = a;
    const key = 'lzy_runs/wf/e1/data/f.x.c1';
    const upload = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    const body = Buffer.from('serialzy…payload');
    const part = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: body,
        ContentMD5: createHash('md5').update(body).digest('base64'),
      }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(body.length);
    expect(await read(client, bucket, key)).toBe(body.toString());
    await client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'whiteboards/wb/w1/field',
        CopySource: `${bucket}/${key}`,
      }),
    );
    expect(await read(client, bucket, 'whiteboards/wb/w1/field')).toBe(body.toString());
    // A presigned GET with the user's key, fetched with no credentials: what a worker does with
    // a local module URL (lzy-service re-signs pylzy's SigV2 URLs with the execution's key).
    expect(await (await fetch(await presignedGet(a.config, key))).text()).toBe(body.toString());
  });

  it('rotates a key: the old secret stops working at once, the new one keeps the bucket and data', async () => {
    const alice = newUser('alice');
    const before = await userStorage(alice);
    await before.client.send(new PutObjectCommand({ Bucket: before.bucket, Key: 'k', Body: 'v' }));
    const c = storage.internal;
    const rotated = await unaryCall(c.rotateStorageCredentials.bind(c), {
      userId: alice,
      bucket: '',
    });
    const after = clientOf(rotated.storage);
    cleanup.defer(() => after.client.destroy());
    expect(after.accessKeyId).toBe(before.accessKeyId);
    expect(rotated.storage).not.toEqual(before.config);
    expect(await statusOf(read(before.client, before.bucket, 'k'))).toBe(403);
    expect(await read(after.client, after.bucket, 'k')).toBe('v');
    expect((await credentialsOf(alice)).storage).toEqual(rotated.storage);
  });

  it('moves a bucket made before per-user keys to its user on their next call', async () => {
    const alice = newUser('alice');
    const bucket = `tmp-bucket-${alice}`;
    const admin = s3Client(s3Config());
    cleanup.defer(() => admin.destroy());
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'old', Body: 'from before' }));
    const db = createDatabase({ url: pg.url });
    try {
      await sql`INSERT INTO user_bucket (user_id, bucket) VALUES (${alice}, ${bucket})`.execute(db);
    } finally {
      await closeDatabase(db);
    }
    const mine = clientOf((await credentialsOf(alice)).storage);
    cleanup.defer(() => mine.client.destroy());
    expect(await read(mine.client, bucket, 'old')).toBe('from before');
    const bob = await userStorage(newUser('bob'));
    expect(await statusOf(read(bob.client, bucket, 'old'))).toBe(403);
  });

  it('gives a bucket to one user only', async () => {
    const name = `shared-${randomUUID()}`;
    const alice = newUser('alice');
    const bob = newUser('bob');
    await createStorage(storage.internal, alice, name);
    await expect(createStorage(storage.internal, bob, name)).rejects.toThrow(AlreadyExists);
    const c = storage.internal;
    await expect(unaryCall(c.deleteStorage.bind(c), { userId: bob, bucket: name })).rejects.toThrow(
      PermissionDenied,
    );
    const a = clientOf((await credentialsOf(alice, name)).storage);
    cleanup.defer(() => a.client.destroy());
    await a.client.send(new PutObjectCommand({ Bucket: name, Key: 'still', Body: 'mine' }));
  });

  it('restores the account and bucket of a user after the S3 server lost them', async () => {
    const alice = newUser('alice');
    const before = await userStorage(alice);
    const s3 = s3Config();
    const admin = new VersitygwUserKeys({ ...s3, endpoint: s3.endpoint });
    await admin.deleteKey({ accessKeyId: before.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    const adminClient = s3Client(s3);
    cleanup.defer(() => adminClient.destroy());
    await adminClient.send(new DeleteBucketCommand({ Bucket: before.bucket }));
    const after = await userStorage(alice);
    expect(after.config).toEqual(before.config);
    await after.client.send(new PutObjectCommand({ Bucket: after.bucket, Key: 'k', Body: 'v' }));
    expect(await read(after.client, after.bucket, 'k')).toBe('v');
  });

  it('keeps keys across a rotation of LZY_ENCRYPTION_KEYS and reseals them with the new key', async () => {
    const old = testEncryptionKeys('old');
    const first = new CleanupStack();
    const alice = newUser('alice');
    let before: Awaited<ReturnType<typeof createStorage>>;
    try {
      const service = await startStorageForTest(pg.url, first, { LZY_ENCRYPTION_KEYS: old });
      before = await createStorage(service.internal, alice);
    } finally {
      await first.close();
    }
    const ring = `${testEncryptionKeys('new')},${old}`;
    const second = await startStorageForTest(pg.url, cleanup, { LZY_ENCRYPTION_KEYS: ring });
    const c = second.internal;
    expect(
      (await unaryCall(c.getStorageCredentials.bind(c), { userId: alice, bucket: '' })).storage,
    ).toEqual(before.storage);
    const db = createDatabase({ url: pg.url });
    try {
      const { rows } = await sql<{ sealed: string }>`
        SELECT secret_sealed AS sealed FROM user_key WHERE user_id = ${alice}`.execute(db);
      expect(rows[0]?.sealed.startsWith('lzy1.new.')).toBe(true);
    } finally {
      await closeDatabase(db);
    }
  });

  it('keeps the secret sealed in the database, never in plain text', async () => {
    const alice = newUser('alice');
    const { config } = await userStorage(alice);
    const secret = config.credentials?.$case === 's3' ? config.credentials.value.secretToken : '';
    const db = createDatabase({ url: pg.url });
    try {
      const { rows } = await sql<{ row: string }>`
        SELECT row_to_json(k)::text AS row FROM user_key k WHERE user_id = ${alice}`.execute(db);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.row).not.toContain(secret);
      expect(rows[0]?.row).toContain('lzy1.');
    } finally {
      await closeDatabase(db);
    }
  });
});

/** A SigV4 presigned GET (query auth) of `key` with the storage's own key, valid 10 minutes. */
async function presignedGet(config: commonStorage.StorageConfig, key: string): Promise<string> {
  if (config.credentials?.$case !== 's3') throw new Error('expected S3 credentials');
  const { endpoint, accessToken, secretToken } = config.credentials.value;
  const url = new URL(`${endpoint}/${config.uri.replace(/^s3:\/\//, '')}/${key}`);
  class Sha256 {
    readonly #hash;
    constructor(secret?: string | Uint8Array) {
      this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
    }
    update(data: string | Uint8Array): void {
      this.#hash.update(data);
    }
    digest(): Promise<Uint8Array> {
      return Promise.resolve(new Uint8Array(this.#hash.digest()));
    }
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: accessToken, secretAccessKey: secretToken },
    region: s3Config().region,
    service: 's3',
    sha256: Sha256 as never,
    uriEscapePath: false,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      // What S3 presigners sign: the payload is not part of a presigned GET.
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { expiresIn: 600, unsignableHeaders: new Set(['x-amz-content-sha256']) },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>);
  return `${url.origin}${url.pathname}?${query.toString()}`;
}
