import { FailedPrecondition } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { channelManager } from '@lzy/proto';
import type { commonSlot } from '@lzy/proto';
import type { ChannelManagerPort } from '../domain/ports.ts';

/** Deadline of Bind/Unbind: channel-manager answers them from its database. */
const CALL_DEADLINE_MS = 30_000;

/** ChannelManagerPort over lzy.internal.channel_manager.v1 (owner WORKER). */
export class ChannelManagerClient implements ChannelManagerPort {
  readonly #client: channelManager.ChannelManagerServiceClient;

  constructor(address: string, callCredentials: (() => Promise<string>) | undefined) {
    this.#client = createChannelClient(channelManager.ChannelManagerServiceClient, address, {
      callCredentials,
    });
  }

  async bind(slot: commonSlot.SlotInstance, signal?: AbortSignal): Promise<void> {
    await unaryCall(
      this.#client.bind.bind(this.#client),
      { slot, owner: channelManager.SlotOwner.SLOT_OWNER_WORKER },
      { deadlineMs: CALL_DEADLINE_MS, signal },
    );
  }

  async unbind(slotUri: string, signal?: AbortSignal): Promise<void> {
    await unaryCall(
      this.#client.unbind.bind(this.#client),
      { slotUri },
      { deadlineMs: CALL_DEADLINE_MS, signal },
    );
  }

  async *watchSender(receiverSlotUri: string, signal: AbortSignal): AsyncIterable<string> {
    const stream = serverStream(
      this.#client.watchSender.bind(this.#client),
      { slotUri: receiverSlotUri },
      { signal },
    );
    for await (const message of stream) {
      const uri = message.sender?.slot?.slotUri;
      if (uri !== undefined && uri !== '') yield uri;
    }
  }

  close(): void {
    this.#client.close();
  }
}

/** Used when LZY_CHANNEL_MANAGER_ADDRESS is unset: tasks with slots fail clearly. */
export class MissingChannelManager implements ChannelManagerPort {
  bind(): Promise<void> {
    return Promise.reject(unconfigured());
  }
  unbind(): Promise<void> {
    return Promise.resolve();
  }
  watchSender(): AsyncIterable<string> {
    return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(unconfigured()) }) };
  }
}

function unconfigured(): Error {
  return new FailedPrecondition(
    'this worker has no channel manager (LZY_CHANNEL_MANAGER_ADDRESS): tasks with slots cannot run',
  );
}
