import { createChannelClient, serverStream } from '@lzy/grpc';
import { FastSlotsServiceClient } from '@lzy/proto';
import type { slots } from '@lzy/proto';
import type { SlotReadEvent, SlotReaderPort } from '../domain/ports.ts';
import { slotServerAddress } from '../domain/slot-paths.ts';

/**
 * HTTP/2 receive window of a connection to a sender: with 1 MiB chunks, 16 keep the sender busy
 * through a round trip (64 KiB, grpc-js's default, stalls each chunk on WINDOW_UPDATEs: the S3
 * copy once crawled at ~50 MiB/s). Bytes not yet written to the input file wait in it, so it is
 * also the memory bound of one download.
 */
const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/** SlotReaderPort over lzy.internal.slots.v1.SlotsService; one client per peer address. */
export class SlotsClient implements SlotReaderPort {
  readonly #callCredentials: (() => Promise<string>) | undefined;
  readonly #clients = new Map<string, slots.SlotsServiceClient>();

  constructor(callCredentials: (() => Promise<string>) | undefined) {
    this.#callCredentials = callCredentials;
  }

  async *readSlot(
    senderSlotUri: string,
    offset: number,
    signal: AbortSignal,
  ): AsyncIterable<SlotReadEvent> {
    const client = this.#client(slotServerAddress(senderSlotUri));
    const stream = serverStream(
      client.readSlot.bind(client),
      { slotUri: senderSlotUri, offset },
      { signal },
    );
    for await (const message of stream) {
      const event = message.event;
      if (event?.$case === 'chunk')
        yield { kind: 'chunk', offset: event.value.offset, data: event.value.data };
      else if (event?.$case === 'eos') yield { kind: 'eos', sizeBytes: event.value.sizeBytes };
    }
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(address: string): slots.SlotsServiceClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      client = createChannelClient(FastSlotsServiceClient, address, {
        callCredentials: this.#callCredentials,
        flowControlWindowBytes: FLOW_CONTROL_WINDOW_BYTES,
      });
      this.#clients.set(address, client);
    }
    return client;
  }
}
