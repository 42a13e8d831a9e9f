import { DeadlineExceeded, FailedPrecondition, NotFound } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import type { operations } from '@lzy/proto';
import type { AllocatorPort, PortalVm, VmLife, VmPool } from '../domain/ports.ts';
import { awaitOperation } from './await-operation.ts';

const { ClusterType, VmEndpointType, VmStatus } = allocator;

function lifeOf(vm: allocator.Vm | undefined): VmLife {
  const status = vm?.status ?? VmStatus.VM_STATUS_DEAD;
  const gone = status === VmStatus.VM_STATUS_DEAD || status === VmStatus.VM_STATUS_DELETING;
  return { gone, reason: gone ? vm?.deleteReason || 'the VM was deleted' : '' };
}

/** AllocatorPort over lzy.internal.allocator.v1 (+ its OperationsService for Allocate). */
export class AllocatorClient implements AllocatorPort {
  readonly #client: allocator.AllocatorServiceClient;
  readonly #operations: operations.OperationsServiceClient;

  constructor(deps: {
    client: allocator.AllocatorServiceClient;
    operations: operations.OperationsServiceClient;
  }) {
    this.#client = deps.client;
    this.#operations = deps.operations;
  }

  async createSession(
    owner: string,
    description: string,
    idempotencyKey: string,
    ownerUserId: string,
  ): Promise<string> {
    const c = this.#client;
    const response = await unaryCall(
      c.createSession.bind(c),
      { owner, ownerUserId, description, idleTimeoutMs: 0 },
      { idempotencyKey },
    );
    return response.sessionId;
  }

  async allocatePortal(request: {
    sessionId: string;
    pool: string;
    env: Record<string, string>;
    idempotencyKey: string;
    timeoutMs: number;
  }): Promise<PortalVm> {
    const c = this.#client;
    const op = await unaryCall(
      c.allocate.bind(c),
      {
        sessionId: request.sessionId,
        poolLabel: request.pool,
        zone: '',
        clusterType: ClusterType.CLUSTER_TYPE_SYSTEM,
        initWorkloads: [],
        workloads: [
          { name: 'portal', image: '', env: request.env, args: [], ports: [], volumeMounts: [] },
        ],
        volumes: [],
      },
      { idempotencyKey: request.idempotencyKey, deadlineMs: request.timeoutMs },
    ).catch((err: unknown) => {
      throw err instanceof DeadlineExceeded
        ? new DeadlineExceeded('Portal VM allocation timed out', { cause: err })
        : err;
    });
    const response = await awaitOperation(
      this.#operations,
      op,
      allocator.AllocateResponse,
      request.timeoutMs,
      'Portal VM allocation',
    );
    const endpoint =
      response.endpoints.find((e) => e.type === VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME) ??
      response.endpoints[0];
    if (endpoint === undefined) {
      throw new FailedPrecondition(`Portal VM ${response.vmId} registered without an endpoint`);
    }
    return { vmId: response.vmId, address: endpoint.value };
  }

  async free(vmId: string): Promise<void> {
    const c = this.#client;
    await unaryCall(c.free.bind(c), { vmId });
  }

  async deleteSession(sessionId: string): Promise<void> {
    const c = this.#client;
    await unaryCall(c.deleteSession.bind(c), { sessionId });
  }

  async *watchVm(vmId: string, signal: AbortSignal): AsyncIterable<VmLife> {
    const c = this.#client;
    try {
      for await (const { vm } of serverStream(c.watchVm.bind(c), { vmId }, { signal })) {
        const life = lifeOf(vm);
        yield life;
        if (life.gone) return;
      }
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      yield { gone: true, reason: 'the allocator does not know the VM any more' };
    }
  }

  async vmLife(vmId: string): Promise<VmLife> {
    const c = this.#client;
    try {
      const { vm } = await unaryCall(c.getVm.bind(c), { vmId }, { deadlineMs: 10_000 });
      return lifeOf(vm);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      return { gone: true, reason: 'the allocator does not know the VM any more' };
    }
  }

  async listWorkerPools(): Promise<VmPool[]> {
    const c = this.#client;
    const response = await unaryCall(c.listVmPools.bind(c), {
      clusterType: ClusterType.CLUSTER_TYPE_WORKER,
    });
    return response.pools
      .filter((pool) => pool.clusterType === ClusterType.CLUSTER_TYPE_WORKER)
      .map((pool) => ({
        label: pool.label,
        cpuType: pool.cpuType,
        cpuCount: pool.cpuCount,
        gpuType: pool.gpuType,
        gpuCount: pool.gpuCount,
        ramGb: pool.ramGb,
        zones: pool.zones,
      }));
  }
}
