import { setTimeout as delay } from 'node:timers/promises';
import { NotFound, Unavailable } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { channelManager, commonSlot } from '@lzy/proto';
import type { ChannelManagerPort, SlotBinding } from '../domain/ports.ts';

type Client = channelManager.ChannelManagerServiceClient;

/**
 * How long calls ride out an unavailable channel manager (restarting, e.g. a local suite killed
 * and started again while this VM lives on): a snapshot must not fail for it. BindSlots is
 * idempotent on the slot URIs, WatchSender pushes the current sender again when re-opened.
 */
const UNAVAILABLE_RETRY_MS = 120_000;
const MAX_BACKOFF_MS = 5_000;

/** ChannelManagerPort over lzy.internal.channel_manager.v1 (owner PORTAL). */
export class ChannelManagerClient implements ChannelManagerPort {
  readonly #client: Client;

  constructor(address: string, callCredentials: (() => Promise<string>) | undefined) {
    this.#client = createChannelClient(channelManager.ChannelManagerServiceClient, address, {
      ...(callCredentials === undefined ? {} : { callCredentials }),
    });
  }

  async bindSlots(
    change: { unbind?: readonly string[]; bind: readonly SlotBinding[] },
    signal: AbortSignal,
  ): Promise<void> {
    const client = this.#client;
    const request: channelManager.BindSlotsRequest = {
      unbindSlotUris: [...(change.unbind ?? [])],
      binds: change.bind.map((binding) => ({
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
      })),
    };
    await whileUnavailable(
      () => unaryCall(client.bindSlots.bind(client), request, { signal, deadlineMs: 30_000 }),
      signal,
    );
  }

  async *watchSender(slotUri: string, signal: AbortSignal): AsyncIterable<string> {
    const client = this.#client;
    let outageSinceMs: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const message of serverStream(
          client.watchSender.bind(client),
          { slotUri },
          { signal },
        )) {
          outageSinceMs = undefined;
          attempt = 0;
          const uri = message.sender?.slot?.slotUri;
          if (uri !== undefined && uri !== '') yield uri;
        }
        return;
      } catch (err) {
        if (!(err instanceof Unavailable) || signal.aborted) throw err;
        outageSinceMs ??= Date.now();
        const waitMs = backoffMs(attempt);
        if (Date.now() + waitMs - outageSinceMs > UNAVAILABLE_RETRY_MS) throw err;
        await delay(waitMs, undefined, { signal });
      }
    }
  }

  async hasSender(channelId: string): Promise<boolean> {
    const client = this.#client;
    try {
      const { channel } = await whileUnavailable(() =>
        unaryCall(client.getChannelStatus.bind(client), { channelId }, { deadlineMs: 30_000 }),
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

function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt);
}

/** Repeats `call` while it fails with Unavailable, backing off, for UNAVAILABLE_RETRY_MS. */
async function whileUnavailable<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const startedMs = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof Unavailable) || signal?.aborted === true) throw err;
      const waitMs = backoffMs(attempt);
      if (Date.now() + waitMs - startedMs > UNAVAILABLE_RETRY_MS) throw err;
      await delay(waitMs, undefined, signal === undefined ? {} : { signal });
    }
  }
}
