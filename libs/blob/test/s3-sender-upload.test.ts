import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { Aborted, InvalidArgument } from '@lzy/errors';
import { s3Config, testBucket } from '@lzy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PresignedUploader, S3BlobStore } from '../src/index.ts';
import type { PartSender, StoredPart } from '../src/index.ts';
import { objectAddress, presignS3Url } from '../src/s3-presign.ts';

const PART_BYTES = 5 * 1024 * 1024;
const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function storeOf(bucket: string): Promise<S3BlobStore> {
  const store = new S3BlobStore({
    ...s3Config(),
    bucket,
    forcePathStyle: true,
    partSizeBytes: PART_BYTES,
  });
  closers.push(() => store.close());
  return Promise.resolve(store);
}

/** A sender holding `data` in memory: PUTs each part it is given, as a worker does. */
function memorySender(data: Buffer): PartSender {
  const uploader = new PresignedUploader();
  closers.push(() => uploader.close());
  return async function* (parts, signal): AsyncIterable<StoredPart> {
    for (const part of parts) {
      const bytes = data.subarray(part.offset, part.offset + part.sizeBytes);
      const source = {
        sizeBytes: part.sizeBytes,
        read: (buffer: Buffer, position: number, length: number) =>
          Promise.resolve(bytes.copy(buffer, 0, position, position + length)),
      };
      yield { partNumber: part.partNumber, etag: await uploader.put(part.url, source, signal) };
    }
  };
}

async function read(store: S3BlobStore, key: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of await store.get(key)) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

describe('S3BlobStore.putFromSender', () => {
  it('stores what the sender PUTs to the presigned part URLs, byte-exact', async () => {
    const store = await storeOf(await testBucket());
    const data = randomBytes(2 * PART_BYTES + 1234);
    await store.putFromSender('a/b', data.length, memorySender(data));
    expect((await read(store, 'a/b')).equals(data)).toBe(true);
  });

  it('leaves no object and no parts when the sender fails', async () => {
    const bucket = await testBucket();
    const store = await storeOf(bucket);
    const data = randomBytes(PART_BYTES + 1);
    const send = memorySender(data);
    const failing: PartSender = async function* (parts, signal) {
      for await (const part of send(parts.slice(0, 1), signal)) yield part;
      throw new InvalidArgument('the sender gave up');
    };
    await expect(store.putFromSender('gone', data.length, failing)).rejects.toThrow(
      'the sender gave up',
    );
    expect(await store.exists('gone')).toBe(false);
    const client = new S3Client({ ...s3Config(), credentials: s3Config(), forcePathStyle: true });
    closers.push(() => client.destroy());
    const { Uploads } = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(Uploads ?? []).toEqual([]);
  });
});

describe('PresignedUploader', () => {
  it('reports a URL storage refuses (expired) as Aborted', async () => {
    const s3 = s3Config();
    const uploader = new PresignedUploader();
    closers.push(() => uploader.close());
    const address = objectAddress({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: await testBucket(),
      key: 'expired',
      forcePathStyle: true,
    });
    const url = presignS3Url({
      method: 'PUT',
      address,
      credentials: s3,
      region: s3.region,
      nowMs: Date.now() - 3_600_000,
      expiresInS: 1,
    });
    const source = {
      sizeBytes: 3,
      read: (b: Buffer) => Promise.resolve(Buffer.from('abc').copy(b)),
    };
    await expect(uploader.put(url, source, new AbortController().signal)).rejects.toThrow(Aborted);
  });
});
