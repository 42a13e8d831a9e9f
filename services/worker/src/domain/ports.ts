import type { commonSlot } from '@lzy/proto';
import type { StdStreamName } from './task-record.ts';

/** The channel-manager calls of a worker (lzy.internal.channel_manager.v1), owner always WORKER. */
export interface ChannelManagerPort {
  /** Idempotent on slot.slotUri. */
  bind(slot: commonSlot.SlotInstance, signal?: AbortSignal): Promise<void>;
  /** Idempotent. */
  unbind(slotUri: string, signal?: AbortSignal): Promise<void>;
  /** The slot URIs of the sender to read from, as channel-manager pushes them. */
  watchSender(receiverSlotUri: string, signal: AbortSignal): AsyncIterable<string>;
}

export type SlotReadEvent =
  { kind: 'chunk'; offset: number; data: Buffer } | { kind: 'eos'; sizeBytes: number };

/** SlotsService.ReadSlot of another worker or a portal (address taken from the slot URI). */
export interface SlotReaderPort {
  readSlot(
    senderSlotUri: string,
    offset: number,
    signal: AbortSignal,
  ): AsyncIterable<SlotReadEvent>;
}

/** A task's std stream to the portal (PortalService.WriteStd), best effort. */
export interface StdWriter {
  /** Resolves when the transport accepts more; never rejects (a broken stream drops data). */
  write(stream: StdStreamName, data: Buffer): Promise<void>;
  /** Ends the stream and waits for the portal's answer; never rejects. */
  close(): Promise<void>;
}

export interface StdSinkPort {
  open(portalAddress: string, taskId: string): StdWriter;
}
