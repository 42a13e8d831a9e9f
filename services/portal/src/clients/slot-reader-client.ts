import { Aborted } from '@lzy/errors';
import { createChannelClient, serverStream } from '@lzy/grpc';
import { slots } from '@lzy/proto';
import type { SlotChunk, SlotReaderPort } from '../domain/ports.ts';

/** `host:port` of `slot://host:port/<taskId>/<slotName>`. @throws Aborted for another shape. */
export function slotAddressOf(slotUri: string): string {
  const match = /^slot:\/\/([^/]+)\//.exec(slotUri);
  if (match?.[1] === undefined)
    throw new Aborted(`sender slot URI ${slotUri} is not slot://host:port/…`);
  return match[1];
}

/** SlotReaderPort over other VMs' SlotsService.ReadSlot; one client per address. */
export class SlotReaderClient implements SlotReaderPort {
  readonly #clients = new Map<string, slots.SlotsServiceClient>();
  readonly #callCredentials: (() => Promise<string>) | undefined;

  constructor(callCredentials: (() => Promise<string>) | undefined) {
    this.#callCredentials = callCredentials;
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

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #clientFor(address: string): slots.SlotsServiceClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      client = createChannelClient(slots.SlotsServiceClient, address, {
        ...(this.#callCredentials === undefined ? {} : { callCredentials: this.#callCredentials }),
      });
      this.#clients.set(address, client);
    }
    return client;
  }
}
