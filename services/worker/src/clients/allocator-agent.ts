import { FailedPrecondition, NotFound } from '@lzy/errors';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { allocator } from '@lzy/proto';
import type { VmIdentity } from '../config.ts';

export interface AllocatorAgentDeps {
  vm: VmIdentity;
  callCredentials: () => Promise<string>;
  log: Logger;
  /** Called once when the allocator says the VM is gone (the process should exit). */
  onVmGone: () => void;
}

/** Deadline of Register/Heartbeat. */
const CALL_DEADLINE_MS = 10_000;

/**
 * The VM's side of AllocatorPrivateService (reference §7.1 step 5): Register with the one-time
 * token and this worker's endpoint, then Heartbeat every heartbeat_period_ms. The heartbeat is a
 * timer on purpose: it is the liveness signal itself, not a status poll.
 */
export class AllocatorAgent {
  readonly #deps: AllocatorAgentDeps;
  readonly #client: allocator.AllocatorPrivateServiceClient;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: AllocatorAgentDeps) {
    this.#deps = deps;
    this.#client = createChannelClient(
      allocator.AllocatorPrivateServiceClient,
      deps.vm.allocatorAddress,
      { callCredentials: deps.callCredentials },
    );
  }

  /** Registers `endpoint` (host:port), then starts heartbeats. @throws what Register throws */
  async start(endpoint: string): Promise<void> {
    const { vmId, ott } = this.#deps.vm;
    const response = await unaryCall(
      this.#client.register.bind(this.#client),
      {
        vmId,
        ott,
        endpoints: [{ type: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME, value: endpoint }],
        metadata: {},
      },
      { deadlineMs: CALL_DEADLINE_MS },
    );
    const periodMs = Math.max(100, response.heartbeatPeriodMs || 5_000);
    this.#deps.log.info({ vmId, endpoint, periodMs }, 'registered with the allocator');
    this.#timer = setInterval(() => void this.#heartbeat(), periodMs);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#client.close();
  }

  async #heartbeat(): Promise<void> {
    const { vmId, ott } = this.#deps.vm;
    try {
      await unaryCall(
        this.#client.heartbeat.bind(this.#client),
        { vmId, ott },
        { deadlineMs: CALL_DEADLINE_MS },
      );
    } catch (err) {
      if (this.#stopped) return;
      if (err instanceof NotFound || err instanceof FailedPrecondition) {
        this.#deps.log.error({ err, vmId }, 'the allocator says this VM is gone; exiting');
        this.stop();
        this.#deps.onVmGone();
        return;
      }
      this.#deps.log.warn({ err, vmId }, 'heartbeat failed');
    }
  }
}
