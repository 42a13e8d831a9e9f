import { constants } from 'node:fs';
import { copyFile, mkdir, open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Aborted } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { commonSlot } from '@lzy/proto';
import { ChangeSignal } from './change-signal.ts';
import type { LocalOutputs } from './local-outputs.ts';
import type { ChannelManagerPort, SlotReaderPort } from './ports.ts';
import type { SlotTable } from './slot-table.ts';

export interface InputDownloadDeps {
  channelManager: ChannelManagerPort;
  slotReader: SlotReaderPort;
  slots: SlotTable;
  log: Logger;
  /** Outputs of this worker's earlier tasks: an input of one of their channels is copied. */
  localOutputs: LocalOutputs;
}

/** Failed ReadSlot attempts (per sender) before the input, and so the task, fails. */
const MAX_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;

/** Follows WatchSender in the background: the latest sender URI and when the stream ended. */
class SenderWatch {
  latest: string | undefined;
  ended: unknown = undefined;
  isEnded = false;
  readonly changed = new ChangeSignal();

  follow(senders: AsyncIterable<string>): void {
    void (async () => {
      try {
        for await (const uri of senders) {
          this.latest = uri;
          this.changed.notify();
        }
      } catch (err) {
        this.ended = err;
      }
      this.isEnded = true;
      this.changed.notify();
    })();
  }
}

/**
 * Materialises one INPUT slot completely at `filePath` before the command starts (reference
 * §7.4, files instead of FUSE). When this worker produced the channel's data itself (an earlier
 * task on the same VM), the file is copied locally. Otherwise: Bind as receiver, learn the
 * sender from WatchSender, stream its ReadSlot into the file (resuming at the written offset
 * after a broken stream, from whichever sender is current), then Unbind in the background. No
 * fsync: the durable copy is the one the portal writes to S3; a lost input is read again.
 * Returns the size in bytes.
 * @throws Aborted if the channel never offers a sender or every attempt fails; Cancelled on abort
 */
export async function downloadInput(
  deps: InputDownloadDeps,
  input: {
    instance: commonSlot.SlotInstance;
    filePath: string;
    /** The channel's sender as the scheduler knows it: read from it first, no Bind needed. */
    knownSender?: string | undefined;
  },
  signal: AbortSignal,
): Promise<number> {
  const { instance, filePath, knownSender } = input;
  const slotUri = instance.slotUri;
  const log = deps.log.child({ slotUri });
  await mkdir(path.dirname(filePath), { recursive: true });
  deps.slots.put({
    slotUri,
    taskId: instance.taskId,
    slot: instance.slot ?? { name: '', media: 0, direction: 1, contentType: undefined },
    state: 'PREPARING',
    pointer: 0,
    connectedTo: '',
  });
  const local = deps.localOutputs.find(instance.channelId);
  if (local !== undefined) {
    // A copy, never a link: an op may overwrite its input file (python-client-protocol §4.1).
    await copyFile(local.filePath, filePath, constants.COPYFILE_FICLONE);
    const { size } = await stat(filePath);
    if (size !== local.sizeBytes)
      throw new Aborted(
        `local output ${local.slotUri} has ${size} bytes, expected ${local.sizeBytes}`,
      );
    deps.slots.update(slotUri, { state: 'OPEN', pointer: size, connectedTo: local.slotUri });
    log.debug({ sizeBytes: size, sender: local.slotUri }, 'input slot copied from a local output');
    return size;
  }
  if (knownSender !== undefined) {
    const size = await readKnownSender(
      deps,
      { slotUri, filePath, sender: knownSender, log },
      signal,
    );
    if (size !== undefined) return size;
  }
  await deps.channelManager.bind(instance, signal);
  const watchAbort = new AbortController();
  const stopWatch = () => watchAbort.abort();
  signal.addEventListener('abort', stopWatch, { once: true });
  const file = await open(filePath, 'w');
  try {
    const watch = new SenderWatch();
    watch.follow(deps.channelManager.watchSender(slotUri, watchAbort.signal));
    const size = await readFromSenders(deps, { slotUri, file, watch, log }, signal);
    deps.slots.update(slotUri, { state: 'OPEN', pointer: size });
    log.info({ sizeBytes: size }, 'input slot downloaded');
    return size;
  } finally {
    signal.removeEventListener('abort', stopWatch);
    watchAbort.abort();
    await file.close();
    // Not awaited: the command need not wait for the channel manager to forget the receiver.
    deps.channelManager.unbind(slotUri).catch((err: unknown) => {
      log.warn({ err }, 'unbind of a downloaded input slot failed');
    });
  }
}

/**
 * One read of the whole slot from the sender the scheduler named (its producer just exited on
 * another worker). undefined if that fails: the caller asks the channel manager instead, whose
 * sender may be the portal's S3 copy.
 */
async function readKnownSender(
  deps: InputDownloadDeps,
  job: { slotUri: string; filePath: string; sender: string; log: Logger },
  signal: AbortSignal,
): Promise<number | undefined> {
  const file = await open(job.filePath, 'w');
  let position = 0;
  try {
    deps.slots.update(job.slotUri, { connectedTo: job.sender });
    for await (const event of deps.slotReader.readSlot(job.sender, 0, signal)) {
      if (event.kind === 'eos') {
        if (event.sizeBytes !== position) break;
        deps.slots.update(job.slotUri, { state: 'OPEN', pointer: position });
        return position;
      }
      position = await writeChunk(file, position, event);
      deps.slots.update(job.slotUri, { pointer: position });
    }
    job.log.warn(
      { sender: job.sender, position },
      'known sender ended early; asking the channel manager',
    );
  } catch (err) {
    signal.throwIfAborted();
    job.log.warn({ err, sender: job.sender }, 'known sender failed; asking the channel manager');
  } finally {
    await file.close();
  }
  return undefined;
}

async function readFromSenders(
  deps: InputDownloadDeps,
  job: { slotUri: string; file: FileHandle; watch: SenderWatch; log: Logger },
  signal: AbortSignal,
): Promise<number> {
  const { watch, log } = job;
  let position = 0;
  let attempts = 0;
  let sender: string | undefined;
  for (;;) {
    while (watch.latest === undefined && !watch.isEnded) await watch.changed.wait(signal);
    if (watch.latest === undefined)
      throw new Aborted(`no sender appeared for input slot ${job.slotUri}`, { cause: watch.ended });
    if (watch.latest !== sender) attempts = 0;
    sender = watch.latest;
    deps.slots.update(job.slotUri, { connectedTo: sender });
    try {
      for await (const event of deps.slotReader.readSlot(sender, position, signal)) {
        if (event.kind === 'eos') {
          if (event.sizeBytes !== position)
            throw new Aborted(`sender ${sender} ended at ${event.sizeBytes}, received ${position}`);
          return position;
        }
        position = await writeChunk(job.file, position, event);
        deps.slots.update(job.slotUri, { pointer: position });
      }
      throw new Aborted(`ReadSlot of ${sender} ended without end-of-stream at ${position}`);
    } catch (err) {
      signal.throwIfAborted();
      attempts += 1;
      log.warn({ err, sender, position, attempts }, 'reading an input slot failed; resuming');
      if (attempts >= MAX_ATTEMPTS)
        throw new Aborted(`cannot read input slot ${job.slotUri} from ${sender}`, { cause: err });
      await delay(RETRY_DELAY_MS * attempts, undefined, { signal });
    }
  }
}

/** Writes the part of `chunk` past `position`; returns the new position. */
async function writeChunk(
  file: FileHandle,
  position: number,
  chunk: { offset: number; data: Buffer },
): Promise<number> {
  if (chunk.offset > position)
    throw new Aborted(`slot stream skipped bytes ${position}..${chunk.offset}`);
  const data = chunk.data.subarray(position - chunk.offset);
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await file.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
  return position + data.length;
}
