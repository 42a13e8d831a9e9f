import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { idempotencyOf, toProtoOperation } from '@lzy/operations';
import { allocator } from '@lzy/proto';
import type { Allocator } from '../domain/allocator.ts';
import type { VmPools } from '../domain/vm-pool.ts';
import type { VmQueries } from '../domain/vm-queries.ts';
import { internalCaller } from './caller-of.ts';
import {
  fromProtoClusterType,
  fromProtoVolumes,
  fromProtoWorkloads,
  toProtoPool,
  toProtoVm,
} from './vm-proto.ts';

export interface AllocatorServiceDeps {
  readonly allocator: Allocator;
  readonly queries: VmQueries;
  readonly pools: VmPools;
  /** Throws Unavailable until the database is migrated and recovery ran. */
  readonly assertReady: () => void;
}

/** `lzy.internal.allocator.v1.AllocatorService`: the services only (not VMs, not users). */
export function allocatorService(deps: AllocatorServiceDeps): ServiceRegistration {
  const { allocator: alloc, queries, pools, assertReady } = deps;
  return implement(allocator.AllocatorServiceService, {
    createSession: async (request, ctx) => {
      const caller = internalCaller(ctx);
      assertReady();
      const idempotency = idempotencyOf(
        ctx.idempotencyKey,
        allocator.CreateSessionRequest,
        request,
      );
      const sessionId = await alloc.createSession(
        {
          owner: request.owner,
          ownerUserId: request.ownerUserId,
          description: request.description,
          idleTimeoutMs: request.idleTimeoutMs,
        },
        caller,
        idempotency,
      );
      return { sessionId };
    },
    deleteSession: async (request, ctx) => {
      const caller = internalCaller(ctx);
      assertReady();
      await alloc.deleteSession(request.sessionId, caller);
      return {};
    },
    allocate: async (request, ctx) => {
      const caller = internalCaller(ctx);
      assertReady();
      const idempotency = idempotencyOf(ctx.idempotencyKey, allocator.AllocateRequest, request);
      const operation = await alloc.allocate(
        {
          sessionId: request.sessionId,
          poolLabel: request.poolLabel,
          zone: request.zone,
          clusterType: fromProtoClusterType(request.clusterType),
          initWorkloads: fromProtoWorkloads(request.initWorkloads),
          workloads: fromProtoWorkloads(request.workloads),
          volumes: fromProtoVolumes(request.volumes),
        },
        caller,
        idempotency,
      );
      return toProtoOperation(operation);
    },
    free: async (request, ctx) => {
      const caller = internalCaller(ctx);
      assertReady();
      await alloc.free(request.vmId, caller);
      return {};
    },
    getVm: async (request, ctx) => {
      internalCaller(ctx);
      assertReady();
      return { vm: toProtoVm(await queries.get(request.vmId)) };
    },
    listVms: async (request, ctx) => {
      internalCaller(ctx);
      assertReady();
      const page = await queries.list({
        sessionId: request.sessionId === '' ? undefined : request.sessionId,
        pageSize: request.pageSize,
        pageToken: request.pageToken === '' ? undefined : request.pageToken,
      });
      return { vms: page.vms.map(toProtoVm), nextPageToken: page.nextPageToken ?? '' };
    },
    watchVm: async (request, ctx, send) => {
      internalCaller(ctx);
      assertReady();
      for await (const vm of queries.watch(request.vmId, ctx.signal)) {
        await send({ vm: toProtoVm(vm) });
      }
    },
    listVmPools: (request, ctx) => {
      internalCaller(ctx);
      const clusterType = fromProtoClusterType(request.clusterType);
      return Promise.resolve({ pools: pools.list(clusterType).map(toProtoPool) });
    },
  });
}
