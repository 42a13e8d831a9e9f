import { afterEach, describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import { CleanupStack, pollUntil, usePostgres } from '@lzy/testing';
import {
  allocate,
  allocateRequest,
  allocateRunning,
  createSession,
  isAlive,
  startTestAllocator,
  vmStatus,
  waitDone,
  workerWorkload,
} from './harness.ts';

const pg = usePostgres();
const stack = new CleanupStack();
afterEach(() => stack.close());

/** `intruder` is a VM subject of no session; every other token is the internal identity. */
const twoSubjects: Authenticator = {
  authenticate: (authorization) =>
    Promise.resolve(
      authorization === 'Bearer intruder'
        ? { id: 'vm-intruder', type: 'VM' }
        : { id: 'lzy-internal', type: 'USER' },
    ),
};

describe('allocator sessions and VM ownership', () => {
  it('refuses Free of a VM from a subject that does not own its session', async () => {
    const t = stack.push(await startTestAllocator(pg.url, {}, twoSubjects));
    const sessionId = await createSession(t);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    const intruder = createChannelClient(allocator.AllocatorServiceClient, t.address, {
      callCredentials: () => Promise.resolve('intruder'),
    });
    stack.defer(() => intruder.close());
    const free = unaryCall(intruder.free.bind(intruder), { vmId: vm.vmId });
    await expect(free).rejects.toThrow(PermissionDenied);
    expect(await vmStatus(t, vm.vmId)).toBe('VM_STATUS_RUNNING');
  });

  it('refuses every AllocatorService RPC to a VM, ListVms and Allocate included', async () => {
    const t = stack.push(await startTestAllocator(pg.url, {}, twoSubjects));
    const sessionId = await createSession(t);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    const intruder = createChannelClient(allocator.AllocatorServiceClient, t.address, {
      callCredentials: () => Promise.resolve('intruder'),
    });
    stack.defer(() => intruder.close());
    const vmOnly = /LZY services only: VMs/;
    await expect(
      unaryCall(intruder.listVms.bind(intruder), { sessionId: '', pageSize: 0, pageToken: '' }),
    ).rejects.toThrow(vmOnly);
    await expect(unaryCall(intruder.getVm.bind(intruder), { vmId: vm.vmId })).rejects.toThrow(
      vmOnly,
    );
    await expect(
      unaryCall(intruder.allocate.bind(intruder), allocateRequest(sessionId)),
    ).rejects.toThrow(vmOnly);
    const listed = await unaryCall(t.client.listVms.bind(t.client), {
      sessionId: '',
      pageSize: 0,
      pageToken: '',
    });
    expect(listed.vms.map((v) => v.id)).toContain(vm.vmId);
  });

  it('returns the same session and the same operation for a repeated idempotency key', async () => {
    const t = stack.push(await startTestAllocator(pg.url));
    const request = {
      owner: 'alice/wf',
      ownerUserId: 'alice',
      description: '',
      idleTimeoutMs: 1000,
    };
    const create = () =>
      unaryCall(t.client.createSession.bind(t.client), request, { idempotencyKey: 'exec-1' });
    const { sessionId } = await create();
    expect((await create()).sessionId).toBe(sessionId);

    const alloc = () =>
      unaryCall(t.client.allocate.bind(t.client), allocateRequest(sessionId), {
        idempotencyKey: 'portal-exec-1',
      });
    const [first, second] = [await alloc(), await alloc()];
    expect(second.id).toBe(first.id);
    await waitDone(t, first.id);
    const { vms } = await unaryCall(t.client.listVms.bind(t.client), {
      sessionId,
      pageSize: 0,
      pageToken: '',
    });
    expect(vms).toHaveLength(1);
  });

  it('WatchVm pushes each status change and ends after DEAD', async () => {
    const t = stack.push(await startTestAllocator(pg.url));
    const sessionId = await createSession(t);
    const op = await allocate(t, allocateRequest(sessionId));
    const vmId = allocator.AllocateMetadata.decode(op.metadata?.value ?? Buffer.alloc(0)).vmId;
    const seen: string[] = [];
    const watching = (async () => {
      for await (const { vm } of serverStream(t.client.watchVm.bind(t.client), { vmId })) {
        const status = allocator.vmStatusToJSON(vm?.status ?? 0);
        seen.push(status);
        if (status === 'VM_STATUS_RUNNING') {
          await unaryCall(t.client.deleteSession.bind(t.client), { sessionId });
        }
      }
    })();
    await watching;
    expect(seen[0]).toBe('VM_STATUS_ALLOCATING');
    expect(seen).toContain('VM_STATUS_RUNNING');
    expect(seen.at(-1)).toBe('VM_STATUS_DEAD');
  });

  it('after a restart marks VMs of the previous process DEAD and fails their allocations', async () => {
    const first = stack.push(
      await startTestAllocator(pg.url, { LZY_ALLOCATOR_HEARTBEAT_TIMEOUT_MS: '900' }),
    );
    const sessionId = await createSession(first);
    const running = await allocateRunning(first, allocateRequest(sessionId));
    const pending = await allocate(
      first,
      allocateRequest(sessionId, { workloads: [workerWorkload({ FAKE_VM_SKIP_REGISTER: '1' })] }),
    );

    const second = stack.push(await startTestAllocator(pg.url));
    expect(await vmStatus(second, running.vmId)).toBe('VM_STATUS_DEAD');
    const failed = await waitDone(second, pending.id);
    expect(failed.result?.$case === 'error' && failed.result.value.code).toBe(14); // UNAVAILABLE
    // The orphaned VM learns at its next Heartbeat that it is gone, and exits.
    await pollUntil(() => (isAlive(running.pid) ? undefined : true), { timeoutMs: 15_000 });
  });
});
