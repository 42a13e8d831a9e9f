import { CreateMultipartUploadCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidArgument } from '@lzy/errors';
import { ChunkCursor } from './chunk-cursor.ts';
import { MultipartParts } from './s3-multipart.ts';

export interface UploadTarget {
  readonly Bucket: string;
  readonly Key: string;
  readonly ContentType?: string;
}

export interface UploadOptions {
  readonly partSizeBytes: number;
  readonly queueSize: number;
}

const MAX_PARTS = 10_000;

/**
 * Uploads `source` to S3 with memory bounded by (queueSize + 1) × partSizeBytes: a body shorter
 * than one part goes as a single PutObject; longer ones as a multipart upload whose part buffers
 * are reused once their part is sent (lib-storage's Upload allocates a fresh concatenated buffer
 * per part, and the garbage alone pushed RSS past 90 MB for a 200 MB object). Any failure,
 * including one of `source`, aborts the multipart upload so no object or parts remain.
 */
export async function uploadStream(
  client: S3Client,
  target: UploadTarget,
  source: AsyncIterable<Uint8Array>,
  opts: UploadOptions,
): Promise<void> {
  const cursor = new ChunkCursor(source);
  try {
    const first = await cursor.read(opts.partSizeBytes);
    if (first.length < opts.partSizeBytes) {
      await client.send(new PutObjectCommand({ ...target, Body: first }));
      return;
    }
    await uploadParts(client, target, cursor, first, opts);
  } finally {
    await cursor.close();
  }
}

async function uploadParts(
  client: S3Client,
  target: UploadTarget,
  cursor: ChunkCursor,
  first: Buffer,
  opts: UploadOptions,
): Promise<void> {
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ ...target, ChecksumAlgorithm: 'CRC32' }),
  );
  const parts = new MultipartParts(
    client,
    { Bucket: target.Bucket, Key: target.Key, UploadId },
    opts,
  );
  try {
    let buf = first;
    let bytes = first.length;
    for (let partNumber = 1; bytes > 0 && !parts.failed; partNumber++) {
      if (partNumber > MAX_PARTS) throw tooLarge(target.Key, opts.partSizeBytes);
      await parts.send(partNumber, buf, bytes);
      buf = parts.nextBuffer();
      bytes = await cursor.readInto(buf);
    }
    await parts.complete();
  } catch (err) {
    await parts.abort();
    throw err;
  }
}

function tooLarge(key: string, partSizeBytes: number): InvalidArgument {
  return new InvalidArgument(
    `blob ${JSON.stringify(key)} is larger than ${MAX_PARTS} parts of ${partSizeBytes} bytes; ` +
      'raise partSizeBytes of the S3 blob store',
  );
}
