import { open } from 'node:fs/promises';
import { InvalidArgument, NotFound } from '@lzy/errors';
import type { commonSlot } from '@lzy/proto';
import type { SlotReadEvent } from './ports.ts';

export type SlotState = 'PREPARING' | 'OPEN' | 'DESTROYED';

/** Local state of one slot of this worker (GetSlotStatus). */
export interface SlotRecord {
  slotUri: string;
  taskId: string;
  slot: commonSlot.Slot;
  state: SlotState;
  /** Bytes transferred (input) or the file size (output). */
  pointer: number;
  /** Sender slot URI an input reads from. */
  connectedTo: string;
  /** Set for an OUTPUT slot readable through ReadSlot. */
  filePath?: string;
}

/** At most 1 MiB per ReadSlot chunk (slots.proto). */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The slots of this worker's tasks. OUTPUT slots become readable once their task exited 0 and
 * stay readable until the worker stops (a later consumer may read them).
 */
export class SlotTable {
  readonly #slots = new Map<string, SlotRecord>();

  put(record: SlotRecord): void {
    this.#slots.set(record.slotUri, record);
  }

  update(slotUri: string, change: Partial<Omit<SlotRecord, 'slotUri'>>): void {
    const current = this.#slots.get(slotUri);
    if (current !== undefined) this.#slots.set(slotUri, { ...current, ...change });
  }

  /** @throws NotFound */
  get(slotUri: string): SlotRecord {
    const record = this.#slots.get(slotUri);
    if (record === undefined) throw new NotFound(`slot ${slotUri} is not known to this worker`);
    return record;
  }

  /**
   * Streams an exposed OUTPUT slot's file from `offset` in chunks of at most 1 MiB, then eos.
   * Memory stays bounded: the consumer pulls the next chunk only after sending the previous one.
   * `alloc` makes each chunk's buffer (the gRPC layer's, to serialize it without a copy).
   * @throws NotFound if the slot is not a readable output, InvalidArgument for an offset past the end
   */
  async *read(
    slotUri: string,
    offset: number,
    alloc: (sizeBytes: number) => Buffer = (n) => Buffer.allocUnsafe(n),
  ): AsyncGenerator<SlotReadEvent, void, undefined> {
    const record = this.#slots.get(slotUri);
    if (record?.filePath === undefined || record.state !== 'OPEN')
      throw new NotFound(`slot ${slotUri} is not a readable output of this worker`);
    const sizeBytes = record.pointer;
    if (offset > sizeBytes)
      throw new InvalidArgument(
        `offset ${offset} is past the end of ${slotUri} (${sizeBytes} bytes)`,
      );
    const file = await open(record.filePath, 'r');
    try {
      let position = offset;
      while (position < sizeBytes) {
        const buffer = alloc(Math.min(CHUNK_BYTES, sizeBytes - position));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) throw new Error(`${record.filePath} shrank while being read`);
        yield { kind: 'chunk', offset: position, data: buffer.subarray(0, bytesRead) };
        position += bytesRead;
      }
    } finally {
      await file.close();
    }
    yield { kind: 'eos', sizeBytes };
  }
}
