import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Identifies a multipart upload created with CreateMultipartUpload. */
export interface MultipartTarget {
  readonly Bucket: string;
  readonly Key: string;
  readonly UploadId: string | undefined;
}

/**
 * The parts of one multipart upload: sends up to `queueSize` at once and hands each part's
 * buffer back for reuse once S3 has it. Part failures are recorded, not thrown, so no
 * rejection goes unhandled while the caller is busy reading the source; `complete` throws them.
 */
export class MultipartParts {
  private readonly client: S3Client;
  private readonly target: MultipartTarget;
  private readonly partSizeBytes: number;
  private readonly queueSize: number;
  private readonly done: CompletedPart[] = [];
  private readonly free: Buffer[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    client: S3Client,
    target: MultipartTarget,
    opts: { partSizeBytes: number; queueSize: number },
  ) {
    this.client = client;
    this.target = target;
    this.partSizeBytes = opts.partSizeBytes;
    this.queueSize = opts.queueSize;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Starts sending `buf[0, bytes)` as part `partNumber`; waits while the queue is full. */
  async send(partNumber: number, buf: Buffer, bytes: number): Promise<void> {
    const command = new UploadPartCommand({
      ...this.target,
      PartNumber: partNumber,
      Body: buf.subarray(0, bytes),
      ChecksumAlgorithm: 'CRC32',
    });
    const task: Promise<void> = this.client
      .send(command)
      .then(
        (res) => {
          this.done.push({
            PartNumber: partNumber,
            ETag: res.ETag,
            ChecksumCRC32: res.ChecksumCRC32,
          });
          this.free.push(buf);
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => this.inflight.delete(task));
    this.inflight.add(task);
    if (this.inflight.size >= this.queueSize) await Promise.race(this.inflight);
  }

  /** A buffer for the next part: one whose part was sent, else a new one (at most queueSize+1). */
  nextBuffer(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.partSizeBytes);
  }

  /** Waits for the parts in flight and completes the upload; throws the first part failure. */
  async complete(): Promise<void> {
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure.error;
    const parts = this.done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await this.client.send(
      new CompleteMultipartUploadCommand({ ...this.target, MultipartUpload: { Parts: parts } }),
    );
  }

  /** Waits for the parts in flight, then aborts so S3 keeps no parts. Best effort, never throws. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inflight);
    await this.client.send(new AbortMultipartUploadCommand(this.target)).catch(() => undefined);
  }
}
