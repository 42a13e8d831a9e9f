import { setTimeout as delay } from 'node:timers/promises';
import { FailedPrecondition, Unavailable } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { channelManager } from '@lzy/proto';
import type { commonSlot } from '@lzy/proto';
import type { ChannelManagerPort } from '../domain/ports.ts';

/** Deadline of Bind/Unbind: channel-manager answers them from its database. */
const CALL_DEADLINE_MS = 30_000;
/**
 * How long Bind/Unbind ride out an unavailable channel manager (restarting, e.g. a local suite
 * killed and started again while this VM lives on): an output bound after its op ran must not
 * fail the task. Both are idempotent on the slot URI, so a repeat is safe.
 */
const UNAVAILABLE_RETRY_MS = 120_000;
const MAX_BACKOFF_MS = 5_000;

/** ChannelManagerPort over lzy.internal.channel_manager.v1 (owner WORKER). */
export class ChannelManagerClient implements ChannelManagerPort {
  readonly #client: channelManager.ChannelManagerServiceClient;

  constructor(address: string, callCredentials: (() => Promise<string>) | undefined) {
    this.#client = createChannelClient(channelManager.ChannelManagerServiceClient, address, {
      callCredentials,
    });
  }

  async bind(slot: commonSlot.SlotInstance, signal?: AbortSignal): Promise<void> {
    await whileUnavailable(
      () =>
        unaryCall(
          this.#client.bind.bind(this.#client),
          { slot, owner: channelManager.SlotOwner.SLOT_OWNER_WORKER },
          { deadlineMs: CALL_DEADLINE_MS, signal },
        ),
      signal,
    );
  }

  async unbind(slotUri: string, signal?: AbortSignal): Promise<void> {
    await whileUnavailable(
      () =>
        unaryCall(
          this.#client.unbind.bind(this.#client),
          { slotUri },
          { deadlineMs: CALL_DEADLINE_MS, signal },
        ),
      signal,
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

/** Repeats `call` while it fails with Unavailable, backing off, for UNAVAILABLE_RETRY_MS. */
async function whileUnavailable<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const startedMs = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof Unavailable) || signal?.aborted === true) throw err;
      const waitMs = Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt);
      if (Date.now() + waitMs - startedMs > UNAVAILABLE_RETRY_MS) throw err;
      await delay(waitMs, undefined, signal === undefined ? {} : { signal });
    }
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
