import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, s3Config, startS3, testBucket, type S3Server } from '../src/index.ts';

describe('startS3', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('accepts requests signed with the right secret', async () => {
    await s3.createBucket('right-secret');
    const client = s3.client();
    try {
      await client.send(new PutObjectCommand({ Bucket: 'right-secret', Key: 'k', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'right-secret', Key: 'k' }));
      expect(await got.Body?.transformToString()).toBe('hello');
    } finally {
      client.destroy();
    }
  });

  it('rejects requests signed with a wrong secret', async () => {
    await s3.createBucket('wrong-secret');
    const client = s3Client({ ...s3, secretAccessKey: `${s3.secretAccessKey}x` });
    try {
      const put = client.send(
        new PutObjectCommand({ Bucket: 'wrong-secret', Key: 'k', Body: 'x' }),
      );
      await expect(put).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      client.destroy();
    }
  });
});

describe('fixtures on the run-wide S3 server', () => {
  it('create a bucket named after the test', async () => {
    const bucket = await testBucket();
    expect(bucket).toMatch(/^fixtures-on-the-run-wide-s3-server-create-a-[a-z-]+-[0-9a-f]{8}$/);
    expect(bucket.length).toBeLessThanOrEqual(63);
    const client = new S3Client({ ...s3Config(), credentials: s3Config(), forcePathStyle: true });
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
    } finally {
      client.destroy();
    }
  });
});
