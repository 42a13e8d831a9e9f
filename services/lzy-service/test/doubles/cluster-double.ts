import { randomUUID } from 'node:crypto';
import { Aborted, NotFound, PermissionDenied } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import {
  allocator,
  channelManager,
  graphExecutor,
  iamAccessBindingService,
  iamAuthService,
  operations,
  packAny,
  storage,
} from '@lzy/proto';
import { Feed } from './feed.ts';
import { PortalDouble } from './portal-double.ts';

const unimplemented = 'unimplemented' as const;

/** Test tokens of the IAM double (JWT-shaped, as the bootstrap requires): token → subject. */
export const TOKENS: Readonly<Record<string, string>> = {
  'alice.test.token': 'alice',
  'bob.test.token': 'bob',
};

const pool = (label: string, clusterType: allocator.ClusterType): allocator.VmPool => ({
  label,
  clusterType,
  cpuType: 'Intel Cascade Lake',
  cpuCount: 2,
  gpuType: 'NO_GPU',
  gpuCount: 0,
  ramGb: 2,
  zones: ['local'],
  maxVms: 8,
});

/**
 * Test doubles of the neighbours' internal APIs on one real gRPC server: IAM (Authenticate with
 * two test tokens, SetAccessBindings), storage, allocator (Allocate completes at once, starting a
 * PortalDouble whose address is the VM endpoint), channel-manager and graph-executor (the test
 * pushes WatchGraph statuses).
 */
export class ClusterDouble {
  readonly bindings: iamAccessBindingService.SetAccessBindingsRequest[] = [];
  readonly buckets = new Set<string>();
  readonly allocations: allocator.AllocateRequest[] = [];
  readonly portals = new Map<string, PortalDouble>();
  readonly freedVms: string[] = [];
  /** VMs that died (vm id → the allocator's delete reason). */
  readonly deadVms = new Map<string, string>();
  readonly deletedSessions: string[] = [];
  readonly channels: channelManager.CreateChannelRequest[] = [];
  readonly destroyedExecutions: string[] = [];
  readonly executedGraphs: graphExecutor.ExecuteGraphRequest[] = [];
  /** ExecuteGraph calls to record and then answer ABORTED, as if the answer were lost. */
  loseExecuteGraphAnswers = 0;
  /** Portal allocations to fail as a VM that died while starting (UNAVAILABLE, its output). */
  failPortalVms = 0;
  readonly stoppedGraphs: string[] = [];
  /** StopGraph's reason by graph id. */
  readonly stopReasons = new Map<string, string>();
  readonly graphFeeds = new Map<string, Feed<graphExecutor.GraphStatus>>();
  #server: GrpcServer | undefined;
  #log: Logger | undefined;

  get address(): string {
    return `127.0.0.1:${this.#server?.port ?? 0}`;
  }

  graphFeed(graphId: string): Feed<graphExecutor.GraphStatus> {
    let feed = this.graphFeeds.get(graphId);
    if (feed === undefined) {
      feed = new Feed();
      this.graphFeeds.set(graphId, feed);
    }
    return feed;
  }

  /** Pushes a graph state on WatchGraph (terminal states end the stream). */
  reportGraph(
    executionId: string,
    graphId: string,
    state: graphExecutor.GraphState,
    description = '',
  ): void {
    const feed = this.graphFeed(graphId);
    feed.push({ executionId, graphId, state, tasks: [], description, updatedAt: new Date() });
    const { GRAPH_STATE_COMPLETED, GRAPH_STATE_FAILED } = graphExecutor.GraphState;
    if (state === GRAPH_STATE_COMPLETED || state === GRAPH_STATE_FAILED) feed.close();
  }

  portalOf(executionId: string): PortalDouble {
    const index = this.allocations.findLastIndex(
      (a) => a.workloads[0]?.env.LZY_EXECUTION_ID === executionId,
    );
    const portalDouble = this.portals.get(`vm-${index}`);
    if (portalDouble === undefined) throw new Error(`no portal for ${executionId}`);
    return portalDouble;
  }

  /** Kills the portal VM of the execution as a lost machine would: gone, with a reason. */
  async killPortal(executionId: string, reason: string): Promise<void> {
    const portalDouble = this.portalOf(executionId);
    const vmId = [...this.portals].find(([, p]) => p === portalDouble)![0];
    this.deadVms.set(vmId, reason);
    await portalDouble.stop();
  }

  #vm(vmId: string): allocator.Vm {
    if (!this.portals.has(vmId)) throw new NotFound(`VM ${vmId} not found`);
    const reason = this.deadVms.get(vmId) ?? (this.freedVms.includes(vmId) ? 'freed' : '');
    return allocator.Vm.fromPartial({
      id: vmId,
      status:
        reason === '' ? allocator.VmStatus.VM_STATUS_RUNNING : allocator.VmStatus.VM_STATUS_DEAD,
      deleteReason: reason,
    });
  }

  async start(log: Logger): Promise<void> {
    this.#log = log;
    this.#server = await startGrpcServer({
      name: 'cluster-double',
      port: 0,
      log,
      services: [
        this.#iam(),
        this.#access(),
        this.#storage(),
        this.#allocator(),
        this.#allocatorOps(),
        this.#channels(),
        this.#graphExecutor(),
      ],
    });
  }

  async stop(): Promise<void> {
    for (const feed of this.graphFeeds.values()) feed.close();
    await Promise.all([...this.portals.values()].map((p) => p.stop()));
    await this.#server?.stop();
  }

  #iam() {
    return implement(
      iamAuthService.LzyAuthenticateServiceService,
      {
        authenticate: (_request, ctx) => {
          const header = String(ctx.metadata.get('authorization')[0] ?? '');
          const user = TOKENS[header.replace(/^Bearer /, '')];
          if (user === undefined) return Promise.reject(new PermissionDenied(''));
          return Promise.resolve({ id: user, type: 'USER' });
        },
      },
      { auth: 'none' },
    );
  }

  #access() {
    return implement(
      iamAccessBindingService.LzyAccessBindingServiceService,
      {
        listAccessBindings: unimplemented,
        setAccessBindings: (request) => {
          this.bindings.push(request);
          return Promise.resolve({});
        },
        updateAccessBindings: unimplemented,
      },
      { auth: 'none' },
    );
  }

  #storage() {
    const configOf = (bucket: string) => ({
      uri: `s3://${bucket}`,
      credentials: {
        $case: 's3' as const,
        value: { endpoint: 'http://127.0.0.1:9000', accessToken: 'key', secretToken: 'secret' },
      },
    });
    return implement(
      storage.StorageServiceService,
      {
        createStorage: (request) => {
          this.buckets.add(request.bucket);
          return Promise.resolve({ storage: configOf(request.bucket) });
        },
        deleteStorage: unimplemented,
        rotateStorageCredentials: unimplemented,
        getStorageCredentials: (request) =>
          this.buckets.has(request.bucket)
            ? Promise.resolve({ storage: configOf(request.bucket) })
            : Promise.reject(new NotFound('')),
      },
      { auth: 'none' },
    );
  }

  #allocator() {
    return implement(
      allocator.AllocatorServiceService,
      {
        createSession: () => Promise.resolve({ sessionId: randomUUID() }),
        deleteSession: (request) => {
          this.deletedSessions.push(request.sessionId);
          return Promise.resolve({});
        },
        allocate: async (request) => {
          const vmId = `vm-${this.allocations.length}`;
          this.allocations.push(request);
          const now = new Date();
          if (this.failPortalVms > 0) {
            this.failPortalVms -= 1;
            return {
              id: randomUUID(),
              description: 'allocate',
              createdAt: now,
              createdBy: 'lzy-internal',
              modifiedAt: now,
              done: true,
              metadata: undefined,
              result: {
                $case: 'error',
                value: {
                  code: 14, // UNAVAILABLE, as the allocator fails a VM that died
                  message: `VM ${vmId} failed: process exited with code 1; its last output:\nportal: out of memory`,
                  details: [],
                },
              },
            };
          }
          const portalDouble = new PortalDouble();
          await portalDouble.start(this.#log!);
          this.portals.set(vmId, portalDouble);
          const response: allocator.AllocateResponse = {
            sessionId: request.sessionId,
            vmId,
            poolLabel: request.poolLabel,
            zone: 'local',
            endpoints: [
              {
                type: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME,
                value: portalDouble.address,
              },
            ],
            metadata: {},
          };
          return {
            id: randomUUID(),
            description: 'allocate',
            createdAt: now,
            createdBy: 'lzy-internal',
            modifiedAt: now,
            done: true,
            metadata: undefined,
            result: { $case: 'response', value: packAny(allocator.AllocateResponse, response) },
          };
        },
        free: (request) => {
          this.freedVms.push(request.vmId);
          return Promise.resolve({});
        },
        getVm: (request) => Promise.resolve({ vm: this.#vm(request.vmId) }),
        listVms: unimplemented,
        watchVm: async (request, ctx, send) => {
          // A double may look every few milliseconds; the allocator pushes.
          let last = -1;
          while (!ctx.signal.aborted) {
            const vm = this.#vm(request.vmId);
            if (vm.status !== last) await send({ vm });
            last = vm.status;
            if (vm.status === allocator.VmStatus.VM_STATUS_DEAD) return;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        },
        listVmPools: () =>
          Promise.resolve({
            pools: [
              pool('s', allocator.ClusterType.CLUSTER_TYPE_WORKER),
              pool('portals', allocator.ClusterType.CLUSTER_TYPE_SYSTEM),
            ],
          }),
      },
      { auth: 'none' },
    );
  }

  #allocatorOps() {
    return implement(
      operations.OperationsServiceService,
      { watchOperation: unimplemented },
      { auth: 'none' },
    );
  }

  #channels() {
    return implement(
      channelManager.ChannelManagerServiceService,
      {
        createChannel: unimplemented,
        createChannels: (request) => {
          for (const spec of request.specs) {
            const { executionId, workflowName, userId } = request;
            this.channels.push({ executionId, workflowName, userId, spec });
          }
          return Promise.resolve({ channelIds: request.specs.map((s) => s.channelName) });
        },
        destroyChannel: unimplemented,
        destroyAllChannels: (request) => {
          this.destroyedExecutions.push(request.executionId);
          return Promise.resolve({});
        },
        getChannelStatus: unimplemented,
        listChannels: unimplemented,
        bind: unimplemented,
        bindSlots: unimplemented,
        unbind: unimplemented,
        watchSender: unimplemented,
      },
      { auth: 'none' },
    );
  }

  #graphExecutor() {
    return implement(
      graphExecutor.GraphExecutorServiceService,
      {
        executeGraph: (request) => {
          this.executedGraphs.push(request);
          if (this.loseExecuteGraphAnswers > 0) {
            this.loseExecuteGraphAnswers -= 1;
            return Promise.reject(new Aborted('the answer was lost'));
          }
          return Promise.resolve({});
        },
        getGraph: unimplemented,
        listGraphs: unimplemented,
        stopGraph: (request) => {
          this.stoppedGraphs.push(request.graphId);
          this.stopReasons.set(request.graphId, request.reason);
          return Promise.resolve({});
        },
        watchGraph: async (request, ctx, send) => {
          for await (const status of this.graphFeed(request.graphId).follow(ctx.signal)) {
            await send({ status });
          }
        },
      },
      { auth: 'none' },
    );
  }
}
