import { createChannelClient, serverStream } from '@lzy/grpc';
import { slots } from '@lzy/proto';
import type { SlotReadEvent, SlotReaderPort } from '../domain/ports.ts';
import { slotServerAddress } from '../domain/slot-paths.ts';

const FLOW_CONTROL_WINDOW_BYTES = 4 * 1024 * 1024;

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
      client = createChannelClient(slots.SlotsServiceClient, address, {
        callCredentials: this.#callCredentials,
        // HTTP/2's default 64 KiB receive window stalls 1 MiB chunks on WINDOW_UPDATE round trips
        // (measured ~1.7x slower on 256 MB); 4 MiB keeps a few chunks in flight, memory bounded.
        channelOptions: { 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES },
      });
      this.#clients.set(address, client);
    }
    return client;
  }
}
