import { status } from '@grpc/grpc-js';
import { NotFound, Unavailable } from '@lzy/errors';
import type { ChannelClientOptions } from '@lzy/grpc';
import { GrpcCallError, createChannelClient, serverStream, statusName, unaryCall } from '@lzy/grpc';
import { allocator, longrunning, operations, unpackAny } from '@lzy/proto';
import type {
  AllocationOutcome,
  AllocatorPort,
  AllocateParams,
  PoolShape,
} from '../domain/ports.ts';
import type { StartedAllocation } from '../domain/ports.ts';
import { backoffMs, sleep } from '../domain/retry.ts';
import { ownerParts } from '../domain/vm-keeper.ts';

const POLL_INITIAL_MS = 200;

/** Endpoint types in order of preference for reaching a worker. */
const ENDPOINT_PREFERENCE: readonly number[] = [
  allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME,
  allocator.VmEndpointType.VM_ENDPOINT_TYPE_INTERNAL_IP,
  allocator.VmEndpointType.VM_ENDPOINT_TYPE_EXTERNAL_IP,
];

/** The worker's `host:port` among the VM's endpoints. */
export function workerAddressOf(endpoints: readonly allocator.VmEndpoint[]): string | undefined {
  const ranked = [...endpoints].sort(
    (a, b) => rank(ENDPOINT_PREFERENCE.indexOf(a.type)) - rank(ENDPOINT_PREFERENCE.indexOf(b.type)),
  );
  return ranked.find((e) => e.value !== '')?.value;
}

function rank(index: number): number {
  return index === -1 ? ENDPOINT_PREFERENCE.length : index;
}

/** How a done Allocate operation ended. */
export function allocationOutcomeOf(operation: longrunning.Operation): AllocationOutcome {
  const result = operation.result;
  if (result?.$case === 'error')
    return { ok: false, code: statusName(result.value.code), message: result.value.message };
  const response =
    result?.$case === 'response' ? unpackAny(allocator.AllocateResponse, result.value) : undefined;
  if (response === undefined)
    return { ok: false, code: 'INTERNAL', message: 'allocator answered without a VM' };
  const vmAddress = workerAddressOf(response.endpoints);
  if (vmAddress === undefined) {
    const message = `VM ${response.vmId} registered without an endpoint`;
    return { ok: false, code: 'INTERNAL', message };
  }
  return { ok: true, vmId: response.vmId, vmAddress };
}

/** AllocatorPort over gRPC: AllocatorService, OperationsService (push) and LongRunningService. */
export class AllocatorClient implements AllocatorPort {
  readonly #allocator: allocator.AllocatorServiceClient;
  readonly #operations: operations.OperationsServiceClient;
  readonly #longRunning: longrunning.LongRunningServiceClient;

  constructor(address: string, options: ChannelClientOptions) {
    this.#allocator = createChannelClient(allocator.AllocatorServiceClient, address, options);
    this.#operations = createChannelClient(operations.OperationsServiceClient, address, options);
    this.#longRunning = createChannelClient(longrunning.LongRunningServiceClient, address, options);
  }

  async createSession(owner: string, idleTimeoutMs: number, signal: AbortSignal): Promise<string> {
    const client = this.#allocator;
    const response = await unaryCall(
      client.createSession.bind(client),
      {
        owner,
        ownerUserId: ownerParts(owner).userId,
        description: `worker VMs of ${owner}`,
        idleTimeoutMs,
      },
      { idempotencyKey: owner, signal, deadlineMs: 30_000 },
    );
    return response.sessionId;
  }

  async allocate(params: AllocateParams, signal: AbortSignal): Promise<StartedAllocation> {
    const client = this.#allocator;
    const request = allocator.AllocateRequest.fromPartial({
      sessionId: params.sessionId,
      poolLabel: params.poolLabel,
      zone: params.zone,
      clusterType: allocator.ClusterType.CLUSTER_TYPE_WORKER,
      workloads: [{ name: 'worker' }],
    });
    const operation = await unaryCall(client.allocate.bind(client), request, {
      idempotencyKey: params.idempotencyKey,
      signal,
      deadlineMs: 30_000,
    });
    const metadata =
      operation.metadata === undefined
        ? undefined
        : unpackAny(allocator.AllocateMetadata, operation.metadata);
    return { operationId: operation.id, vmId: metadata?.vmId || undefined };
  }

  async awaitAllocation(operationId: string, signal: AbortSignal): Promise<AllocationOutcome> {
    const client = this.#operations;
    try {
      const stream = serverStream(client.watchOperation.bind(client), { operationId }, { signal });
      for await (const message of stream) {
        if (message.operation?.done === true) return allocationOutcomeOf(message.operation);
      }
    } catch (err) {
      if (err instanceof GrpcCallError && err.code === status.UNIMPLEMENTED) {
        return allocationOutcomeOf(await this.#pollUntilDone(operationId, signal));
      }
      throw err;
    }
    throw new Unavailable(`the watch of allocation ${operationId} ended before it was done`);
  }

  /** Fallback for an allocator without WatchOperation: LongRunningService.Get with backoff. */
  async #pollUntilDone(operationId: string, signal: AbortSignal): Promise<longrunning.Operation> {
    const client = this.#longRunning;
    for (let attempt = 0; ; attempt++) {
      const operation = await unaryCall(client.get.bind(client), { operationId }, { signal });
      if (operation.done) return operation;
      await sleep(Math.min(5_000, backoffMs(POLL_INITIAL_MS, attempt)), signal);
    }
  }

  async free(vmId: string, signal: AbortSignal): Promise<void> {
    const client = this.#allocator;
    await unaryCall(client.free.bind(client), { vmId }, { signal, deadlineMs: 30_000 });
  }

  async watchLoss(vmId: string, signal: AbortSignal): Promise<string> {
    const client = this.#allocator;
    const gone: readonly number[] = [
      allocator.VmStatus.VM_STATUS_DELETING,
      allocator.VmStatus.VM_STATUS_DEAD,
    ];
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const { vm } of serverStream(
          client.watchVm.bind(client),
          { vmId },
          { signal },
        )) {
          if (vm !== undefined && gone.includes(vm.status)) return vm.deleteReason;
          attempt = 0;
        }
        return ''; // the stream ends right after DEAD
      } catch (err) {
        if (err instanceof NotFound) return '';
        signal.throwIfAborted();
        await sleep(backoffMs(POLL_INITIAL_MS, attempt), signal);
      }
    }
  }

  async listPools(signal: AbortSignal): Promise<PoolShape[]> {
    const client = this.#allocator;
    const { pools } = await unaryCall(
      client.listVmPools.bind(client),
      { clusterType: allocator.ClusterType.CLUSTER_TYPE_WORKER },
      { signal, deadlineMs: 30_000 },
    );
    return pools.map((p) => ({
      label: p.label,
      cpu: p.cpuCount,
      gpu: p.gpuCount,
      ramGb: p.ramGb,
      zones: p.zones,
      maxVms: p.maxVms ?? 0,
    }));
  }

  close(): void {
    this.#allocator.close();
    this.#operations.close();
    this.#longRunning.close();
  }
}
