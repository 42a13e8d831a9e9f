import { FailedPrecondition, NotFound } from '@lzy/errors';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { allocator } from '@lzy/proto';

export interface AllocatorAgentOptions {
  allocatorAddress: string;
  vmId: string;
  ott: string;
  /** `host:port` the portal serves PortalService and SlotsService on. */
  address: string;
  callCredentials: (() => Promise<string>) | undefined;
  log: Logger;
  /** The allocator says the VM is gone (NOT_FOUND / FAILED_PRECONDITION): the portal should exit. */
  onVmGone: () => void;
}

/**
 * The VM side of the allocator protocol (reference §3.4): Register once with the endpoint and
 * the portal's addresses, then Heartbeat every heartbeat_period_ms.
 */
export class AllocatorAgent {
  readonly #opts: AllocatorAgentOptions;
  readonly #client: allocator.AllocatorPrivateServiceClient;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(opts: AllocatorAgentOptions) {
    this.#opts = opts;
    this.#client = createChannelClient(
      allocator.AllocatorPrivateServiceClient,
      opts.allocatorAddress,
      {
        ...(opts.callCredentials === undefined ? {} : { callCredentials: opts.callCredentials }),
        deadlineMs: 30_000,
      },
    );
  }

  /** Registers; rejects if the allocator refuses (the portal then fails to start). */
  async start(): Promise<void> {
    const { vmId, ott, address } = this.#opts;
    const client = this.#client;
    const response = await unaryCall(client.register.bind(client), {
      vmId,
      ott,
      endpoints: [{ type: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME, value: address }],
      metadata: { portal_address: address, slots_address: address },
    });
    const periodMs = response.heartbeatPeriodMs > 0 ? response.heartbeatPeriodMs : 5_000;
    this.#opts.log.info({ vmId, periodMs }, 'registered at the allocator');
    this.#schedule(periodMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#client.close();
  }

  #schedule(periodMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      const { vmId, ott } = this.#opts;
      const client = this.#client;
      unaryCall(client.heartbeat.bind(client), { vmId, ott }).then(
        () => this.#schedule(periodMs),
        (err: unknown) => {
          if (this.#stopped) return;
          if (err instanceof NotFound || err instanceof FailedPrecondition) {
            this.#opts.log.warn({ err }, 'the allocator forgot this VM; stopping');
            this.#opts.onVmGone();
            return;
          }
          this.#opts.log.warn({ err }, 'heartbeat failed');
          this.#schedule(periodMs);
        },
      );
    }, periodMs);
  }
}
