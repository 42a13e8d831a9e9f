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
  /**
   * Unbinds `unbind` (slot URIs), then binds `bind` with owner PORTAL: one call, all or nothing.
   * Idempotent.
   */
  bindSlots(
    change: { unbind?: readonly string[]; bind: readonly SlotBinding[] },
    signal: AbortSignal,
  ): Promise<void>;
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

/** A part of a slot's content for its sender to PUT to storage (UploadSlot). */
export interface PresignedPart {
  partNumber: number;
  offset: number;
  sizeBytes: number;
  url: string;
}

/** A part the sender stored, with the ETag storage answered. */
export interface StoredPart {
  partNumber: number;
  etag: string;
}

/** A sender slot of another VM (lzy.internal.slots.v1.SlotsService). */
export interface SlotReaderPort {
  /**
   * Chunks from `offset`, then returns the total size (EndOfStream). Errors are @lzy/errors
   * (Unavailable when the peer cannot be reached).
   */
  read(slotUri: string, offset: number, signal: AbortSignal): AsyncGenerator<SlotChunk, number>;
  /**
   * Size of the sender's complete content if it is a worker's exposed output (GetSlotStatus);
   * undefined for a sender that cannot upload its content itself (a portal) or does not say.
   */
  uploadableSize(slotUri: string, signal: AbortSignal): Promise<number | undefined>;
  /**
   * Has the sender PUT `parts` of its content (UploadSlot); yields each part once stored.
   * @throws FailedPrecondition if the sender cannot upload (a VM of an older version)
   */
  upload(
    slotUri: string,
    parts: readonly PresignedPart[],
    signal: AbortSignal,
  ): AsyncIterable<StoredPart>;
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
  /** Objects of at least this size are stored by their sender (putFromSender), not through us. */
  readonly senderUploadMinBytes: number;
  /** Size of the object, undefined if there is none. */
  sizeOf(at: SnapshotLocation): Promise<number | undefined>;
  /** Streams `body` into the object with bounded memory; resolves with the bytes stored. */
  put(at: SnapshotLocation, body: AsyncIterable<Uint8Array>): Promise<number>;
  /**
   * Stores `sizeBytes` that `send` PUTs part by part with URLs presigned here (multipart); the
   * bytes never pass through this process. The object appears whole or not at all.
   * @throws the sender's error once retries are spent; the signal's reason on abort
   */
  putFromSender(
    at: SnapshotLocation,
    sizeBytes: number,
    send: (parts: readonly PresignedPart[], signal: AbortSignal) => AsyncIterable<StoredPart>,
    signal: AbortSignal,
  ): Promise<void>;
  /** The object's bytes from `offset` (must be < size). */
  get(at: SnapshotLocation, offset: number): Promise<Readable>;
}
