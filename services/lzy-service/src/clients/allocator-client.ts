import { DeadlineExceeded, FailedPrecondition } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import type { operations } from '@lzy/proto';
import type { AllocatorPort, PortalVm, VmPool } from '../domain/ports.ts';
import { awaitOperation } from './await-operation.ts';

const { ClusterType, VmEndpointType } = allocator;

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

  async createSession(owner: string, description: string, idempotencyKey: string): Promise<string> {
    const c = this.#client;
    const response = await unaryCall(
      c.createSession.bind(c),
      { owner, description, idleTimeoutMs: 0 },
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
