import { DeadlineExceeded, NotFound, Unavailable } from '@lzy/errors';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import { health } from '@lzy/proto';
import type { SenderProbePort } from '../domain/channel-manager.ts';

/** A dead worker answers at once (connection refused); a hung one gets this long. */
const PROBE_DEADLINE_MS = 3_000;

/** The service a worker serves its slots with; its health status is what the probe asks. */
const SLOTS_SERVICE = 'lzy.internal.slots.v1.SlotsService';

/** `slot://<host:port>/…` → `host:port`; undefined for another form (never probed). */
export function senderAddressOf(slotUri: string): string | undefined {
  return /^slot:\/\/([^/]+)\//.exec(slotUri)?.[1];
}

/**
 * Asks the address of a worker sender slot whether it still serves slots: a gRPC health check
 * (`grpc.health.v1.Health/Check` of the SlotsService), which every service answers without
 * auth. The address was bound by a VM, which a user's op controls, so the probe carries no
 * credentials at all: with the services' token an op could bind an address of its own and
 * harvest it (issue 13 item 5).
 *
 * The sender is gone when its address is unreachable (the VM was reaped), serves no SlotsService
 * or reports it NOT_SERVING (stopping). Any other answer keeps the sender: dropping a live sender
 * would only cost a copy from S3, but a misconfigured probe must not turn every read into one.
 * Without credentials the probe cannot ask about one slot: a new worker that took a reaped one's
 * address keeps the old sender until it is unbound, and its ReadSlot answers NOT_FOUND.
 */
export class SlotSenderProbe implements SenderProbePort {
  readonly #clients = new Map<string, health.HealthClient>();

  async isGone(slotUri: string, signal: AbortSignal): Promise<boolean> {
    const address = senderAddressOf(slotUri);
    if (address === undefined) return false;
    const client = this.#client(address);
    try {
      const { status } = await unaryCall(
        client.check.bind(client),
        { service: SLOTS_SERVICE },
        { signal, deadlineMs: PROBE_DEADLINE_MS },
      );
      return status === health.HealthCheckResponse_ServingStatus.NOT_SERVING;
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

  #client(address: string): health.HealthClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      // No callCredentials: nothing of ours reaches an address a VM chose. No retries either:
      // an unreachable sender is the answer.
      client = createChannelClient(health.HealthClient, address, { retry: false });
      this.#clients.set(address, client);
    }
    return client;
  }
}
