import type { Readable } from 'node:stream';

/** Where a portal slot sits in the channel (lzy.internal.channel_manager.v1). */
export interface SlotBinding {
  slotUri: string;
  channelId: string;
  slotName: string;
  /** 'INPUT': the portal receives (persists a task output); 'OUTPUT': it serves stored data. */
  direction: 'INPUT' | 'OUTPUT';
}

/** The channel manager as the portal uses it (port; gRPC client in production). */
export interface ChannelManagerPort {
  /** Binds the slot with owner PORTAL. Idempotent. */
  bind(binding: SlotBinding, signal: AbortSignal): Promise<void>;
  /** Idempotent. */
  unbind(slotUri: string): Promise<void>;
  /** Sender slot URIs for a bound receiver, pushed; ends when the receiver is unbound. */
  watchSender(slotUri: string, signal: AbortSignal): AsyncIterable<string>;
  /** Whether a sender is bound to the channel now (false for an unknown channel). */
  hasSender(channelId: string): Promise<boolean>;
}

/** One chunk of a sender slot's content at `offset`. */
export interface SlotChunk {
  offset: number;
  data: Uint8Array;
}

/** Reads a sender slot of another VM (lzy.internal.slots.v1.SlotsService.ReadSlot). */
export interface SlotReaderPort {
  /**
   * Chunks from `offset`, then returns the total size (EndOfStream). Errors are @lzy/errors
   * (Unavailable when the peer cannot be reached).
   */
  read(slotUri: string, offset: number, signal: AbortSignal): AsyncGenerator<SlotChunk, number>;
}

/** One object in user storage: S3 bucket + key with the user's credentials. */
export interface SnapshotLocation {
  /** `s3://bucket/key` (for messages). */
  uri: string;
  bucket: string;
  key: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Object access for snapshots (port; S3BlobStore per bucket in production). */
export interface SnapshotStoragePort {
  /** Size of the object, undefined if there is none. */
  sizeOf(at: SnapshotLocation): Promise<number | undefined>;
  /** Streams `body` into the object with bounded memory; resolves with the bytes stored. */
  put(at: SnapshotLocation, body: AsyncIterable<Uint8Array>): Promise<number>;
  /** The object's bytes from `offset` (must be < size). */
  get(at: SnapshotLocation, offset: number): Promise<Readable>;
}
