import { DeadlineExceeded, NotFound, Unavailable } from '@lzy/errors';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import type { ChannelClientOptions } from '@lzy/grpc';
import { commonSlot, slots } from '@lzy/proto';
import type { SenderProbePort } from '../domain/channel-manager.ts';

/** A dead worker answers at once (connection refused); a hung one gets this long. */
const PROBE_DEADLINE_MS = 3_000;

/** `slot://<host:port>/…` → `host:port`; undefined for another form (never probed). */
export function senderAddressOf(slotUri: string): string | undefined {
  return /^slot:\/\/([^/]+)\//.exec(slotUri)?.[1];
}

/**
 * Asks the worker serving a sender slot about it (SlotsService.GetSlotStatus). The slot is gone
 * when the worker is unreachable (its VM was reaped), does not know the slot (another worker
 * took the address) or reports it DESTROYED. Any other answer, an auth refusal included, keeps
 * the sender: dropping a live sender would only cost a copy from S3, but a misconfigured probe
 * must not turn every read into one.
 */
export class SlotSenderProbe implements SenderProbePort {
  readonly #options: ChannelClientOptions;
  readonly #clients = new Map<string, slots.SlotsServiceClient>();

  constructor(options: ChannelClientOptions) {
    this.#options = { ...options, retry: false };
  }

  async isGone(slotUri: string, signal: AbortSignal): Promise<boolean> {
    const address = senderAddressOf(slotUri);
    if (address === undefined) return false;
    const client = this.#client(address);
    try {
      const { status } = await unaryCall(
        client.getSlotStatus.bind(client),
        { slotUri },
        { signal, deadlineMs: PROBE_DEADLINE_MS },
      );
      return status?.state === commonSlot.SlotStatus_State.DESTROYED;
    } catch (err) {
      if (signal.aborted) return false;
      return (
        err instanceof Unavailable || err instanceof NotFound || err instanceof DeadlineExceeded
      );
    }
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(address: string): slots.SlotsServiceClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      client = createChannelClient(slots.SlotsServiceClient, address, this.#options);
      this.#clients.set(address, client);
    }
    return client;
  }
}
