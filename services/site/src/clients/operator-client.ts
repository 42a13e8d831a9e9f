import { unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import type { iamDirectory } from '@lzy/proto';
import type { DirectoryUser, OperatorSource, Pool, Vm } from '../domain/ports.ts';

const VM_STATUS: Record<number, Vm['status']> = {
  [allocator.VmStatus.VM_STATUS_ALLOCATING]: 'ALLOCATING',
  [allocator.VmStatus.VM_STATUS_RUNNING]: 'RUNNING',
  [allocator.VmStatus.VM_STATUS_IDLE]: 'IDLE',
  [allocator.VmStatus.VM_STATUS_DELETING]: 'DELETING',
  [allocator.VmStatus.VM_STATUS_DEAD]: 'DEAD',
};

/** Safety bound on pages read for one view (1,000 items each). */
const MAX_PAGES = 20;

/** OperatorSource over the allocator (pools, VMs) and iam's SubjectDirectoryService. */
export class OperatorClient implements OperatorSource {
  readonly #allocator: allocator.AllocatorServiceClient;
  readonly #directory: iamDirectory.SubjectDirectoryServiceClient;

  constructor(deps: {
    allocator: allocator.AllocatorServiceClient;
    directory: iamDirectory.SubjectDirectoryServiceClient;
  }) {
    this.#allocator = deps.allocator;
    this.#directory = deps.directory;
  }

  async listPools(): Promise<Pool[]> {
    const c = this.#allocator;
    const { pools } = await unaryCall(c.listVmPools.bind(c), {
      clusterType: allocator.ClusterType.CLUSTER_TYPE_UNSPECIFIED,
    });
    const { CLUSTER_TYPE_WORKER: WORKER, CLUSTER_TYPE_SYSTEM: SYSTEM } = allocator.ClusterType;
    return pools.map((p) => ({
      label: p.label,
      clusterType:
        p.clusterType === WORKER ? 'WORKER' : p.clusterType === SYSTEM ? 'SYSTEM' : 'UNKNOWN',
      cpuCount: p.cpuCount,
      ramGb: p.ramGb,
      gpuType: p.gpuType,
      gpuCount: p.gpuCount,
      maxVms: p.maxVms,
    }));
  }

  async listVms(): Promise<Vm[]> {
    const c = this.#allocator;
    const vms: Vm[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await unaryCall(c.listVms.bind(c), {
        sessionId: '',
        pageSize: 1_000,
        pageToken,
      });
      vms.push(
        ...response.vms.map((vm) => ({
          id: vm.id,
          poolLabel: vm.poolLabel,
          status: VM_STATUS[vm.status] ?? 'UNKNOWN',
        })),
      );
      pageToken = response.nextPageToken;
      if (pageToken === '') break;
    }
    return vms;
  }

  async listUsers(): Promise<DirectoryUser[]> {
    const c = this.#directory;
    const users: DirectoryUser[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await unaryCall(c.listUsers.bind(c), { pageSize: 1_000, pageToken });
      users.push(...response.users.map((u) => ({ ...u, createdAt: u.createdAt })));
      pageToken = response.nextPageToken;
      if (pageToken === '') break;
    }
    return users;
  }
}
