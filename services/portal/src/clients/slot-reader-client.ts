import { status } from '@grpc/grpc-js';
import { Aborted, FailedPrecondition } from '@lzy/errors';
import { GrpcCallError, createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { FastSlotsServiceClient, commonSlot } from '@lzy/proto';
import type { slots } from '@lzy/proto';
import type { PresignedPart, SlotChunk, SlotReaderPort, StoredPart } from '../domain/ports.ts';

/** `host:port` of `slot://host:port/<taskId>/<slotName>`. @throws Aborted for another shape. */
export function slotAddressOf(slotUri: string): string {
  const match = /^slot:\/\/([^/]+)\//.exec(slotUri);
  if (match?.[1] === undefined)
    throw new Aborted(`sender slot URI ${slotUri} is not slot://host:port/…`);
  return match[1];
}

/**
 * HTTP/2 receive window per sender connection. grpc-js's 64 KiB default held the portal's copy
 * at ~50 MiB/s; 4 MiB keeps a few 1 MiB chunks in flight. Not more: the portal reads only small
 * outputs and those of VMs that cannot upload themselves, and whatever S3 has not taken yet
 * waits in this window, for every snapshot at once.
 */
const FLOW_CONTROL_WINDOW_BYTES = 4 * 1024 * 1024;

export interface SlotReaderClientOptions {
  callCredentials: (() => Promise<string>) | undefined;
  /** Parts a sender PUTs at once in UploadSlot. */
  uploadParallelParts: number;
}

/** SlotReaderPort over other VMs' SlotsService; one client per address. */
export class SlotReaderClient implements SlotReaderPort {
  readonly #clients = new Map<string, slots.SlotsServiceClient>();
  readonly #opts: SlotReaderClientOptions;

  constructor(opts: SlotReaderClientOptions) {
    this.#opts = opts;
  }

  async *read(
    slotUri: string,
    offset: number,
    signal: AbortSignal,
  ): AsyncGenerator<SlotChunk, number> {
    const client = this.#clientFor(slotAddressOf(slotUri));
    const stream = serverStream(client.readSlot.bind(client), { slotUri, offset }, { signal });
    for await (const message of stream) {
      const event = message.event;
      if (event?.$case === 'chunk') yield { offset: event.value.offset, data: event.value.data };
      else if (event?.$case === 'eos') return event.value.sizeBytes;
    }
    throw new Aborted(`the sender ${slotUri} ended the stream without EndOfStream`);
  }

  async uploadableSize(slotUri: string, signal: AbortSignal): Promise<number | undefined> {
    const client = this.#clientFor(slotAddressOf(slotUri));
    const { status } = await unaryCall(
      client.getSlotStatus.bind(client),
      { slotUri },
      { signal, deadlineMs: 30_000 },
    );
    // A portal serves its slots from storage (taskId 'portal') and cannot upload them.
    const isWorkerOutput =
      status !== undefined &&
      status.taskId !== 'portal' &&
      status.state === commonSlot.SlotStatus_State.OPEN;
    return isWorkerOutput ? status.pointer : undefined;
  }

  async *upload(
    slotUri: string,
    parts: readonly PresignedPart[],
    signal: AbortSignal,
  ): AsyncIterable<StoredPart> {
    const client = this.#clientFor(slotAddressOf(slotUri));
    try {
      yield* serverStream(
        client.uploadSlot.bind(client),
        { slotUri, parts: [...parts], parallelParts: this.#opts.uploadParallelParts },
        { signal },
      );
    } catch (err) {
      if (err instanceof GrpcCallError && err.code === status.UNIMPLEMENTED)
        throw new FailedPrecondition(`the VM of ${slotUri} cannot upload its slots`, {
          cause: err,
        });
      throw err;
    }
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #clientFor(address: string): slots.SlotsServiceClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      const { callCredentials } = this.#opts;
      client = createChannelClient(FastSlotsServiceClient, address, {
        ...(callCredentials === undefined ? {} : { callCredentials }),
        flowControlWindowBytes: FLOW_CONTROL_WINDOW_BYTES,
      });
      this.#clients.set(address, client);
    }
    return client;
  }
}
