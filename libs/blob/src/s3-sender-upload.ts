import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { setTimeout as delay } from 'node:timers/promises';
import { Aborted, InvalidArgument, Unavailable } from '@lzy/errors';
import type { ObjectAddress, SigningCredentials } from './s3-presign.ts';
import { presignS3Url } from './s3-presign.ts';

/** One part for a sender to store: its bytes [offset, offset + sizeBytes) PUT to `url`. */
export interface PresignedPart {
  readonly partNumber: number;
  readonly offset: number;
  readonly sizeBytes: number;
  /** Presigned PUT (UploadPart), valid for about an hour. */
  readonly url: string;
}

/** A part the sender stored, with the ETag storage answered. */
export interface StoredPart {
  readonly partNumber: number;
  readonly etag: string;
}

/**
 * Whoever holds the bytes (a worker, over gRPC) uploads `parts` with their URLs and yields each
 * part once stored, in any order. Errors: Unavailable / Aborted are retried with fresh URLs for
 * the parts not yet stored; anything else fails the upload.
 */
export type PartSender = (
  parts: readonly PresignedPart[],
  signal: AbortSignal,
) => AsyncIterable<StoredPart>;

export interface SenderUploadContext {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
  readonly address: ObjectAddress;
  readonly region: string;
  readonly credentials: () => Promise<SigningCredentials>;
  readonly now: () => number;
}

export interface SenderUploadOptions {
  /** Parts are at least this big (S3: ≥ 5 MiB); bigger when 10,000 of them would not hold it. */
  readonly partSizeBytes: number;
  readonly signal: AbortSignal;
}

const MAX_PARTS = 10_000;
/** Parts presigned and handed over per sender call: URLs are fresh when used, messages small. */
const BATCH_PARTS = 64;
const URL_EXPIRES_S = 3600;
/** Sender calls in a row that store nothing before the upload fails. */
const MAX_FAILED_CALLS = 3;
const RETRY_DELAY_MS = 500;

/**
 * Stores an object of `sizeBytes` as a multipart upload whose parts someone else sends (a
 * producer VM, so the bytes never pass through this process and the credentials never leave it).
 * Creates the upload, presigns each batch of parts just before handing it to `send`, retries the
 * parts not stored (fresh URLs) after Unavailable / Aborted, completes. Any failure aborts the
 * upload: no object and no parts remain. The object appears atomically at completion.
 * @throws InvalidArgument for a size that needs more than 10,000 parts of 5 GiB; the sender's
 *   error once retries are spent; the signal's reason on abort
 */
export async function uploadFromSender(
  ctx: SenderUploadContext,
  sizeBytes: number,
  send: PartSender,
  opts: SenderUploadOptions,
): Promise<void> {
  const plan = planParts(sizeBytes, opts.partSizeBytes);
  const { client, bucket, key } = ctx;
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ...(ctx.contentType === undefined ? {} : { ContentType: ctx.contentType }),
    }),
    { abortSignal: opts.signal },
  );
  if (UploadId === undefined) throw new Unavailable('S3 started a multipart upload without an id');
  try {
    const stored = await sendAll(ctx, { uploadId: UploadId, plan, send }, opts);
    const parts = plan.map((p) => ({ PartNumber: p.partNumber, ETag: stored.get(p.partNumber) }));
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: opts.signal },
    );
  } catch (err) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
      .catch(() => undefined);
    throw err;
  }
}

type PlannedPart = Omit<PresignedPart, 'url'>;

/** Contiguous parts covering [0, sizeBytes); exported for tests. */
export function planParts(sizeBytes: number, minPartSizeBytes: number): PlannedPart[] {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0)
    throw new InvalidArgument(`cannot upload ${sizeBytes} bytes in parts: need at least 1`);
  const MiB = 1024 * 1024;
  const partSize = Math.max(minPartSizeBytes, Math.ceil(sizeBytes / MAX_PARTS / MiB) * MiB);
  if (partSize > 5 * 1024 * MiB)
    throw new InvalidArgument(`${sizeBytes} bytes exceed S3's largest object (10,000 × 5 GiB)`);
  const parts: PlannedPart[] = [];
  for (let offset = 0; offset < sizeBytes; offset += partSize)
    parts.push({
      partNumber: parts.length + 1,
      offset,
      sizeBytes: Math.min(partSize, sizeBytes - offset),
    });
  return parts;
}

async function sendAll(
  ctx: SenderUploadContext,
  job: { uploadId: string; plan: readonly PlannedPart[]; send: PartSender },
  opts: SenderUploadOptions,
): Promise<Map<number, string>> {
  const stored = new Map<number, string>();
  let failedCalls = 0;
  for (;;) {
    const pending = job.plan.filter((p) => !stored.has(p.partNumber));
    if (pending.length === 0) return stored;
    const batch = await presignBatch(ctx, job.uploadId, pending.slice(0, BATCH_PARTS));
    const before = stored.size;
    try {
      for await (const part of job.send(batch, opts.signal)) stored.set(part.partNumber, part.etag);
      if (batch.some((p) => !stored.has(p.partNumber)))
        throw new Aborted(`the sender ended without storing every part it was given`);
    } catch (err) {
      opts.signal.throwIfAborted();
      failedCalls = stored.size > before ? 1 : failedCalls + 1;
      if (
        !(err instanceof Unavailable || err instanceof Aborted) ||
        failedCalls >= MAX_FAILED_CALLS
      )
        throw err;
      await delay(RETRY_DELAY_MS * failedCalls, undefined, { signal: opts.signal });
    }
  }
}

async function presignBatch(
  ctx: SenderUploadContext,
  uploadId: string,
  parts: readonly PlannedPart[],
): Promise<PresignedPart[]> {
  const credentials = await ctx.credentials();
  const nowMs = ctx.now();
  return parts.map((part) => ({
    ...part,
    url: presignS3Url({
      method: 'PUT',
      address: ctx.address,
      query: { partNumber: String(part.partNumber), uploadId },
      credentials,
      region: ctx.region,
      nowMs,
      expiresInS: URL_EXPIRES_S,
    }),
  }));
}
