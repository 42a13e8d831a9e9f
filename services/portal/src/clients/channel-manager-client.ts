import { NotFound } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { channelManager, commonSlot } from '@lzy/proto';
import type { ChannelManagerPort, SlotBinding } from '../domain/ports.ts';

type Client = channelManager.ChannelManagerServiceClient;

/** ChannelManagerPort over lzy.internal.channel_manager.v1 (owner PORTAL). */
export class ChannelManagerClient implements ChannelManagerPort {
  readonly #client: Client;

  constructor(address: string, callCredentials: (() => Promise<string>) | undefined) {
    this.#client = createChannelClient(channelManager.ChannelManagerServiceClient, address, {
      ...(callCredentials === undefined ? {} : { callCredentials }),
    });
  }

  async bind(binding: SlotBinding, signal: AbortSignal): Promise<void> {
    const client = this.#client;
    await unaryCall(
      client.bind.bind(client),
      {
        slot: {
          taskId: 'portal',
          slotUri: binding.slotUri,
          channelId: binding.channelId,
          slot: {
            name: binding.slotName,
            media: commonSlot.Slot_Media.FILE,
            direction:
              binding.direction === 'INPUT'
                ? commonSlot.Slot_Direction.INPUT
                : commonSlot.Slot_Direction.OUTPUT,
          },
        },
        owner: channelManager.SlotOwner.SLOT_OWNER_PORTAL,
      },
      { signal, deadlineMs: 30_000 },
    );
  }

  async unbind(slotUri: string): Promise<void> {
    const client = this.#client;
    await unaryCall(client.unbind.bind(client), { slotUri }, { deadlineMs: 30_000 });
  }

  async *watchSender(slotUri: string, signal: AbortSignal): AsyncIterable<string> {
    const client = this.#client;
    for await (const message of serverStream(
      client.watchSender.bind(client),
      { slotUri },
      { signal },
    )) {
      const uri = message.sender?.slot?.slotUri;
      if (uri !== undefined && uri !== '') yield uri;
    }
  }

  async hasSender(channelId: string): Promise<boolean> {
    const client = this.#client;
    try {
      const { channel } = await unaryCall(
        client.getChannelStatus.bind(client),
        { channelId },
        { deadlineMs: 30_000 },
      );
      return (channel?.senders.length ?? 0) > 0;
    } catch (err) {
      if (err instanceof NotFound) return false;
      throw err;
    }
  }

  close(): void {
    this.#client.close();
  }
}
