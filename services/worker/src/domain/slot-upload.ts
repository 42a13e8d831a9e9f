import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidArgument, NotFound, Unavailable } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { StoragePartWriterPort } from './ports.ts';
import type { SlotTable } from './slot-table.ts';

/** One part of UploadSlot: the output's bytes [offset, offset + sizeBytes) PUT to `url`. */
export interface UploadPart {
  partNumber: number;
  offset: number;
  sizeBytes: number;
  url: string;
}

export interface SlotUploadDeps {
  slots: SlotTable;
  partWriter: StoragePartWriterPort;
  log: Logger;
}

/** Parts in flight when the caller does not say; at most MAX_PARALLEL_PARTS. */
const DEFAULT_PARALLEL_PARTS = 4;
const MAX_PARALLEL_PARTS = 16;
/** PUTs of one part before the call fails (storage answering 5xx, a dropped connection). */
const PART_ATTEMPTS = 3;
const RETRY_DELAY_MS = 200;

/**
 * UploadSlot: sends ranges of an exposed OUTPUT slot's file to presigned storage URLs, a few parts
 * at once, calling `onStored` (serially) for each part once storage has it. The portal that asked
 * keeps the credentials and completes the multipart upload; this VM only ever holds URLs for the
 * parts of its own output. Memory: two 1 MiB buffers per part in flight (PresignedUploader).
 * @throws NotFound for a slot that is not an exposed output; InvalidArgument for a part outside
 *   its content; the part writer's error (Unavailable after retries, Aborted) for a failed part;
 *   the signal's reason on abort
 */
export async function uploadSlot(
  deps: SlotUploadDeps,
  request: { slotUri: string; parts: readonly UploadPart[]; parallelParts: number },
  onStored: (part: { partNumber: number; etag: string }) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const record = deps.slots.get(request.slotUri);
  if (record.filePath === undefined || record.state !== 'OPEN')
    throw new NotFound(`slot ${request.slotUri} is not an exposed output of this worker`);
  for (const part of request.parts)
    if (part.sizeBytes <= 0 || part.offset + part.sizeBytes > record.pointer)
      throw new InvalidArgument(
        `part ${part.partNumber} [${part.offset}, +${part.sizeBytes}) is outside ` +
          `${request.slotUri} (${record.pointer} bytes)`,
      );
  const file = await open(record.filePath, 'r');
  const failed = new AbortController();
  const both = AbortSignal.any([signal, failed.signal]);
  let reported = Promise.resolve();
  const queue = [...request.parts];
  const worker = async (): Promise<void> => {
    for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
      const etag = await putPart(deps, file, part, both);
      const stored = { partNumber: part.partNumber, etag };
      reported = reported.then(() => onStored(stored));
      await reported;
    }
  };
  const parallel = Math.min(
    request.parallelParts > 0 ? request.parallelParts : DEFAULT_PARALLEL_PARTS,
    MAX_PARALLEL_PARTS,
    Math.max(1, request.parts.length),
  );
  try {
    // Every part settles before the file closes; the first failure stops the others.
    const settled = await Promise.allSettled(
      Array.from({ length: parallel }, () =>
        worker().catch((err: unknown) => {
          failed.abort(err);
          throw err;
        }),
      ),
    );
    signal.throwIfAborted();
    if (settled.some((s) => s.status === 'rejected')) throw failed.signal.reason;
  } finally {
    await file.close();
  }
}

async function putPart(
  deps: SlotUploadDeps,
  file: FileHandle,
  part: UploadPart,
  signal: AbortSignal,
): Promise<string> {
  const source = {
    sizeBytes: part.sizeBytes,
    read: async (buffer: Buffer, position: number, length: number) =>
      (await file.read(buffer, 0, length, part.offset + position)).bytesRead,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.partWriter.put(part.url, source, signal);
    } catch (err) {
      signal.throwIfAborted();
      if (!(err instanceof Unavailable) || attempt >= PART_ATTEMPTS) throw err;
      deps.log.warn(
        { err, partNumber: part.partNumber, attempt },
        'storing a part failed; retrying',
      );
      await delay(RETRY_DELAY_MS * attempt, undefined, { signal });
    }
  }
}
