import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import { CleanupStack, checkHealth, pollUntil, usePostgres } from '@lzy/testing';
import {
  allocate,
  allocateRequest,
  allocateResponseOf,
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

async function start(env: Record<string, string> = {}) {
  const t = await startTestAllocator(pg.url, env);
  stack.push(t);
  return t;
}

const gone = (pid: number) =>
  pollUntil(() => (isAlive(pid) ? undefined : true), {
    timeoutMs: 15_000,
    description: `process ${pid} exits`,
  });

describe('allocator with local processes', () => {
  it('completes Allocate with the VM endpoint once the VM process registers', async () => {
    const t = await start();
    const sessionId = await createSession(t);
    const op = await allocate(t, allocateRequest(sessionId));
    expect(op.done).toBe(false);
    const meta = allocator.AllocateMetadata.decode(op.metadata?.value ?? Buffer.alloc(0));
    expect(meta.vmId).toMatch(/^vm-s-/);

    const response = allocateResponseOf(await waitDone(t, op.id));
    expect(response.vmId).toBe(meta.vmId);
    expect(response.poolLabel).toBe('s');
    const endpoint = response.endpoints[0];
    expect(endpoint?.type).toBe(allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME);
    expect(await checkHealth(endpoint?.value ?? '')).toBe('SERVING');
    expect(await vmStatus(t, meta.vmId)).toBe('VM_STATUS_RUNNING');
  });

  it('reuses the idle VM of the same session and pool after Free, without a new process', async () => {
    const t = await start();
    const sessionId = await createSession(t);
    const first = await allocateRunning(t, allocateRequest(sessionId));
    await unaryCall(t.client.free.bind(t.client), { vmId: first.vmId });
    expect(await vmStatus(t, first.vmId)).toBe('VM_STATUS_IDLE');

    const again = await allocate(t, allocateRequest(sessionId));
    expect(again.done).toBe(true); // cache hit: no waiting for a Register
    const reused = allocateResponseOf(again);
    expect(reused.vmId).toBe(first.vmId);
    expect(Number(reused.metadata.PID)).toBe(first.pid);
    expect(isAlive(first.pid)).toBe(true);
    expect(await vmStatus(t, first.vmId)).toBe('VM_STATUS_RUNNING');

    const other = await allocateRunning(t, allocateRequest(sessionId, { poolLabel: 'm' }));
    expect(other.vmId).not.toBe(first.vmId);
  });

  it('deletes an idle VM after the session idle timeout and kills its process', async () => {
    const t = await start();
    const sessionId = await createSession(t, 200);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    await unaryCall(t.client.free.bind(t.client), { vmId: vm.vmId });
    await pollUntil(
      async () => ((await vmStatus(t, vm.vmId)) === 'VM_STATUS_DEAD' ? true : undefined),
      {
        timeoutMs: 15_000,
        description: 'idle VM deleted',
      },
    );
    await gone(vm.pid);
  });

  it('DeleteSession kills every VM of the session', async () => {
    const t = await start();
    const sessionId = await createSession(t);
    const [a, b] = await Promise.all([
      allocateRunning(t, allocateRequest(sessionId)),
      allocateRunning(t, allocateRequest(sessionId, { poolLabel: 'm' })),
    ]);
    await unaryCall(t.client.deleteSession.bind(t.client), { sessionId });
    await Promise.all([gone(a.pid), gone(b.pid)]);
    await pollUntil(
      async () => ((await vmStatus(t, a.vmId)) === 'VM_STATUS_DEAD' ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    expect(await vmStatus(t, b.vmId)).toBe('VM_STATUS_DEAD');
  });

  it('refuses Register and Heartbeat with a token not issued for the VM', async () => {
    const t = await start();
    const sessionId = await createSession(t);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    const register = unaryCall(t.agent.register.bind(t.agent), {
      vmId: vm.vmId,
      ott: 'someone-elses-token',
      endpoints: [],
      metadata: {},
    });
    await expect(register).rejects.toThrow(PermissionDenied);
    const heartbeat = unaryCall(t.agent.heartbeat.bind(t.agent), { vmId: vm.vmId, ott: 'nope' });
    await expect(heartbeat).rejects.toThrow(PermissionDenied);
  });

  it('rejects an unknown pool naming it and the available ones', async () => {
    const t = await start();
    const sessionId = await createSession(t);
    const call = allocate(t, allocateRequest(sessionId, { poolLabel: 'xl' }));
    await expect(call).rejects.toThrow(InvalidArgument);
    await expect(call).rejects.toThrow(/'xl'.*available pools: s, m/);
  });

  it('queues an allocation beyond the pool cap and starts it, oldest first, when a VM is gone', async () => {
    const pools = [{ label: 'tiny', cluster_type: 'WORKER', max_vms: 1 }];
    const t = await start({ LZY_ALLOCATOR_POOLS: JSON.stringify(pools) });
    const sessionId = await createSession(t);
    const first = await allocateRunning(t, allocateRequest(sessionId, { poolLabel: 'tiny' }));
    const second = await allocate(t, allocateRequest(sessionId, { poolLabel: 'tiny' }));
    const third = await allocate(t, allocateRequest(sessionId, { poolLabel: 'tiny' }));
    const vmOf = (op: typeof second) =>
      allocator.AllocateMetadata.decode(op.metadata?.value ?? Buffer.alloc(0)).vmId;
    expect(second.done).toBe(false);
    expect(await vmStatus(t, vmOf(second))).toBe('VM_STATUS_QUEUED');
    expect(await vmStatus(t, vmOf(third))).toBe('VM_STATUS_QUEUED');
    // The running VM goes: the oldest queued one starts (pushed, no retry by the caller).
    process.kill(first.pid, 'SIGKILL');
    const done = await waitDone(t, second.id);
    expect(done.result?.$case).toBe('response');
    expect(await vmStatus(t, vmOf(second))).toBe('VM_STATUS_RUNNING');
    expect(await vmStatus(t, vmOf(third))).toBe('VM_STATUS_QUEUED');
  });

  it('gives the idle VM of another session to an allocation in a full pool', async () => {
    const pools = [{ label: 'tiny', cluster_type: 'WORKER', max_vms: 1 }];
    const t = await start({ LZY_ALLOCATOR_POOLS: JSON.stringify(pools) });
    const idleSession = await createSession(t);
    const idle = await allocateRunning(t, allocateRequest(idleSession, { poolLabel: 'tiny' }));
    await unaryCall(t.client.free.bind(t.client), { vmId: idle.vmId });
    const otherSession = await createSession(t);
    const fresh = await allocateRunning(t, allocateRequest(otherSession, { poolLabel: 'tiny' }));
    expect(fresh.vmId).not.toBe(idle.vmId);
    await pollUntil(
      async () => ((await vmStatus(t, idle.vmId)) === 'VM_STATUS_DEAD' ? true : undefined),
      { timeoutMs: 15_000, description: 'the evicted idle VM is deleted' },
    );
  });

  it('fails the allocation naming the exit code and the last output of a VM that exits before registering', async () => {
    const t = await start();
    const sessionId = await createSession(t);
    const request = allocateRequest(sessionId, {
      workloads: [workerWorkload({ FAKE_VM_EXIT_CODE: '3' })],
    });
    const started = await allocate(t, request);
    const op = await waitDone(t, started.id);
    expect(op.result?.$case).toBe('error');
    const message = op.result?.$case === 'error' ? op.result.value.message : '';
    expect(message).toMatch(/exited with code 3/);
    expect(message).toContain('fatal: no space left on device');
    // GetVm tells whoever held the VM why it was lost.
    const vmId = allocator.AllocateMetadata.decode(started.metadata?.value ?? Buffer.alloc(0)).vmId;
    const { vm } = await unaryCall(t.client.getVm.bind(t.client), { vmId });
    expect(vm?.deleteReason).toContain('fatal: no space left on device');
  });

  it('fails the allocation with DEADLINE_EXCEEDED and kills a VM that never registers', async () => {
    const t = await start({ LZY_ALLOCATOR_ALLOCATION_TIMEOUT_MS: '1500' });
    const sessionId = await createSession(t);
    const request = allocateRequest(sessionId, {
      workloads: [workerWorkload({ FAKE_VM_SKIP_REGISTER: '1' })],
    });
    const started = await allocate(t, request);
    const op = await waitDone(t, started.id);
    expect(op.result?.$case === 'error' && op.result.value.code).toBe(4); // DEADLINE_EXCEEDED
    const vmId = allocator.AllocateMetadata.decode(started.metadata?.value ?? Buffer.alloc(0)).vmId;
    await pollUntil(
      async () => ((await vmStatus(t, vmId)) === 'VM_STATUS_DEAD' ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
  });

  it('deletes a VM that stops heartbeating', async () => {
    const t = await start({ LZY_ALLOCATOR_HEARTBEAT_TIMEOUT_MS: '600' });
    const sessionId = await createSession(t);
    const vm = await allocateRunning(
      t,
      allocateRequest(sessionId, { workloads: [workerWorkload({ FAKE_VM_NO_HEARTBEAT: '1' })] }),
    );
    await gone(vm.pid);
    // DEAD follows the process's end once the backend has cleaned up after it.
    await expect.poll(() => vmStatus(t, vm.vmId), { timeout: 10_000 }).toBe('VM_STATUS_DEAD');
  });

  it('lists the s and m worker pools with their CPU and GPU types', async () => {
    const t = await start();
    const { pools } = await unaryCall(t.client.listVmPools.bind(t.client), {
      clusterType: allocator.ClusterType.CLUSTER_TYPE_WORKER,
    });
    expect(pools.map((p) => p.label)).toEqual(['s', 'm']);
    for (const pool of pools) {
      expect(pool.cpuType).toBe('Intel Cascade Lake');
      expect(pool.gpuType).toBe('NO_GPU');
    }
  });

  it('leaves no VM process nor scratch directory behind after stop()', async () => {
    const t = await startTestAllocator(pg.url);
    const pids: number[] = [];
    const scratch: string[] = [];
    try {
      const sessionId = await createSession(t);
      const vms = await Promise.all([
        allocateRunning(t, allocateRequest(sessionId)),
        allocateRunning(t, allocateRequest(sessionId)),
      ]);
      pids.push(...vms.map((vm) => vm.pid));
      scratch.push(...vms.map((vm) => join(tmpdir(), `lzy-vm-${vm.vmId}`)));
      expect(pids.every(isAlive)).toBe(true);
      expect(scratch.every((dir) => existsSync(dir))).toBe(true);
    } finally {
      await t.stop();
    }
    expect(pids.filter(isAlive)).toEqual([]);
    expect(scratch.filter((dir) => existsSync(dir))).toEqual([]);
  });
});
