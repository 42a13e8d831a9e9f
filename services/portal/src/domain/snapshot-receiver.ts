import { setTimeout as delay } from 'node:timers/promises';
import { Aborted, FailedPrecondition, Unavailable } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type {
  ChannelManagerPort,
  SlotBinding,
  SlotReaderPort,
  SnapshotLocation,
  SnapshotStoragePort,
} from './ports.ts';
import type { SlotTable } from './slot-table.ts';

/** ReadSlot attempts per sender (a broken stream resumes at the bytes received so far). */
const READ_ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;

export interface ReceiveDeps {
  channels: ChannelManagerPort;
  reader: SlotReaderPort;
  storage: SnapshotStoragePort;
  slots: SlotTable;
  log: Logger;
}

/**
 * An INPUT snapshot slot (reference §8.3), already bound as receiver (OpenSlots binds them all at
 * once): learn the sender from WatchSender, store its content (storeSenderContent), then SYNCED;
 * any failure is FAILED with a description. Never rejects.
 */
export async function receiveSnapshot(
  binding: SlotBinding,
  location: SnapshotLocation,
  deps: ReceiveDeps,
  signal: AbortSignal,
): Promise<void> {
  const { slots, log } = deps;
  const name = binding.slotName;
  try {
    slots.update(name, { state: 'PREPARING' });
    for await (const senderUri of deps.channels.watchSender(binding.slotUri, signal)) {
      slots.update(name, { state: 'OPEN', snapshotStatus: 'SYNCING' });
      log.info({ slot: name, senderUri, uri: location.uri }, 'snapshot syncing');
      const { sizeBytes, bySender } = await storeSenderContent(deps, senderUri, location, signal);
      slots.update(name, { state: 'CLOSED', snapshotStatus: 'SYNCED' });
      log.info({ slot: name, sizeBytes, bySender, uri: location.uri }, 'snapshot synced');
      await serveStoredCopy(binding, deps, signal);
      return;
    }
    throw new Aborted('the channel was closed before a sender provided the data');
  } catch (err) {
    const reason = signal.aborted ? errorMessage(signal.reason) : errorMessage(err);
    slots.update(name, {
      state: 'DESTROYED',
      snapshotStatus: 'FAILED',
      description: `storing ${location.uri} failed: ${reason}`,
    });
    log.warn({ err, slot: name, uri: location.uri }, 'snapshot failed');
  }
}

/**
 * Stores the sender's content at `location`. A worker's output of at least one multipart part
 * is PUT to storage by the worker itself (UploadSlot with URLs presigned here: the bytes never
 * pass through the portal, the credentials never leave it, and the portal is no bottleneck
 * when many workers produce at once). Anything else (small outputs, portal senders, a sender
 * that does not say its size) is read with ReadSlot straight into the object (no temp file:
 * S3 multipart bounds memory).
 */
async function storeSenderContent(
  deps: ReceiveDeps,
  senderUri: string,
  location: SnapshotLocation,
  signal: AbortSignal,
): Promise<{ sizeBytes: number; bySender: boolean }> {
  const size = await deps.reader.uploadableSize(senderUri, signal).catch((err: unknown) => {
    signal.throwIfAborted();
    deps.log.debug({ err, senderUri }, 'sender did not say its size; reading it');
    return undefined;
  });
  if (size !== undefined && size >= deps.storage.senderUploadMinBytes) {
    try {
      await deps.storage.putFromSender(
        location,
        size,
        (parts, partsSignal) => deps.reader.upload(senderUri, parts, partsSignal),
        signal,
      );
      return { sizeBytes: size, bySender: true };
    } catch (err) {
      // A VM of an older version serves ReadSlot only; its refusal left no upload behind.
      if (!(err instanceof FailedPrecondition)) throw err;
      deps.log.warn({ err, senderUri }, 'sender cannot upload its output; reading it');
    }
  }
  const sizeBytes = await deps.storage.put(
    location,
    readWithResume(deps.reader, senderUri, signal),
  );
  return { sizeBytes, bySender: false };
}

/**
 * After SYNCED the portal turns from the channel's receiver into its sender (the S3 copy): a
 * consumer of the same graph that reads later, when the producer's worker VM was already
 * reaped, falls back to it (channel-manager drops the gone worker sender). The receiver is
 * unbound in the same call (one transaction): a channel holds one portal endpoint. Best effort:
 * a failure only loses the fallback, logged.
 */
async function serveStoredCopy(
  binding: SlotBinding,
  deps: ReceiveDeps,
  signal: AbortSignal,
): Promise<void> {
  try {
    await deps.channels.bindSlots(
      { unbind: [binding.slotUri], bind: [{ ...binding, direction: 'OUTPUT' }] },
      signal,
    );
  } catch (err) {
    deps.log.warn({ err, slot: binding.slotName }, 'cannot serve the synced copy on its channel');
  }
}

/**
 * The sender's whole content; a stream that breaks with UNAVAILABLE is resumed at the offset
 * reached. Checks that chunks are contiguous and that the size at EndOfStream matches.
 */
async function* readWithResume(
  reader: SlotReaderPort,
  senderUri: string,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const chunks = reader.read(senderUri, offset, signal);
      for (let r = await chunks.next(); ; r = await chunks.next()) {
        if (r.done === true) {
          if (r.value !== offset)
            throw new Aborted(`sender reported ${r.value} bytes but sent ${offset}`);
          return;
        }
        if (r.value.offset !== offset)
          throw new Aborted(`sender sent a chunk at ${r.value.offset}, expected ${offset}`);
        offset += r.value.data.byteLength;
        yield r.value.data;
      }
    } catch (err) {
      if (!(err instanceof Unavailable) || attempt >= READ_ATTEMPTS || signal.aborted) throw err;
      await delay(RETRY_DELAY_MS * attempt, undefined, { signal });
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
