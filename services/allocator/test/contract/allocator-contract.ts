// The allocator contract (STYLE.md §9: one suite per port, run over every implementation): what
// any VmBackend must give the allocator's callers. Run by local-backend.test.ts and
// kubernetes-backend.test.ts. VMs never register by themselves here: the test plays the VM's
// Register from the environment the backend handed the VM (process env or pod env + Secret).
import { afterEach, describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import type { longrunning } from '@lzy/proto';
import { CleanupStack, pollUntil } from '@lzy/testing';
import {
  allocate,
  allocateRequest,
  allocateResponseOf,
  createSession,
  vmStatus,
  waitDone,
} from '../harness.ts';
import type { TestAllocator } from '../harness.ts';

/** One backend as the contract sees it. */
export interface BackendHarness {
  /** Starts an allocator on this backend (a fresh one per call), `env` on top of its own. */
  start(env?: Record<string, string>): Promise<TestAllocator>;
  /** Workloads of a test VM (the same in every Allocate, so Free → reuse applies). */
  workloads(): allocator.Workload[];
  /** The VM's environment as the backend gave it, once its process or pod exists. */
  vmEnv(vmId: string): Promise<Record<string, string>>;
  /** Whether the VM's process or pod exists now. */
  exists(vmId: string): Promise<boolean>;
  /** Removes the VM's process or pod behind the allocator's back. */
  killUnderneath(vmId: string): Promise<void>;
  /** What a VM failure after killUnderneath names. */
  readonly killedReason: RegExp;
  /** After each test, once its allocators stopped: removes what outlives them (pods). */
  cleanup?(): Promise<void>;
}

const WATCH_MS = 30_000;

export function vmIdOf(op: longrunning.Operation): string {
  return allocator.AllocateMetadata.decode(op.metadata?.value ?? Buffer.alloc(0)).vmId;
}

export function errorOf(op: longrunning.Operation): { code: number; message: string } {
  if (op.result?.$case !== 'error') throw new Error(`operation ${op.id} did not fail`);
  return op.result.value;
}

/** Plays the VM: Register with the token and id from its own environment. */
export async function registerAsVm(
  t: TestAllocator,
  harness: BackendHarness,
  vmId: string,
): Promise<Record<string, string>> {
  const env = await pollUntil(() => harness.vmEnv(vmId).catch(() => undefined), {
    timeoutMs: WATCH_MS,
    description: `VM ${vmId} has its environment`,
  });
  const host = env.LZY_VM_IP_ADDRESS || '127.0.0.1';
  await unaryCall(t.agent.register.bind(t.agent), {
    vmId: env.LZY_VM_ID ?? '',
    ott: env.LZY_VM_OTT ?? '',
    endpoints: [{ type: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME, value: `${host}:1` }],
    metadata: { PLAYED_BY: 'test' },
  });
  return env;
}

export function waitStatus(t: TestAllocator, vmId: string, status: string): Promise<true> {
  return pollUntil(async () => ((await vmStatus(t, vmId)) === status ? true : undefined), {
    timeoutMs: WATCH_MS,
    description: `VM ${vmId} is ${status}`,
  });
}

export function waitGone(harness: BackendHarness, vmId: string): Promise<true> {
  return pollUntil(async () => ((await harness.exists(vmId)) ? undefined : true), {
    timeoutMs: WATCH_MS,
    description: `VM ${vmId} is gone`,
  });
}

export function describeAllocatorContract(name: string, harness: BackendHarness): void {
  describe(`allocator contract: ${name}`, () => {
    const stack = new CleanupStack();
    afterEach(async () => {
      await stack.close();
      await harness.cleanup?.();
    });

    async function started(): Promise<{ t: TestAllocator; sessionId: string }> {
      const t = stack.push(await harness.start());
      return { t, sessionId: await createSession(t) };
    }

    const request = (sessionId: string, overrides: Partial<allocator.AllocateRequest> = {}) =>
      allocateRequest(sessionId, { workloads: harness.workloads(), ...overrides });

    it('completes Allocate with the endpoint the VM registers with its own token', async () => {
      const { t, sessionId } = await started();
      const op = await allocate(t, request(sessionId));
      expect(op.done).toBe(false);
      const vmId = vmIdOf(op);
      const env = await registerAsVm(t, harness, vmId);
      expect(env.LZY_VM_ID).toBe(vmId);
      expect(env.LZY_ALLOCATOR_ADDRESS).toBe(t.address);
      expect(env.LZY_VM_PRIVATE_KEY).toContain('PRIVATE KEY');
      const response = allocateResponseOf(await waitDone(t, op.id));
      expect(response.vmId).toBe(vmId);
      expect(response.metadata.PLAYED_BY).toBe('test');
      expect(response.endpoints[0]?.value).toMatch(/:1$/);
      expect(await vmStatus(t, vmId)).toBe('VM_STATUS_RUNNING');
    });

    it('starts a portal VM of the SYSTEM cluster', async () => {
      const { t, sessionId } = await started();
      const system = allocator.ClusterType.CLUSTER_TYPE_SYSTEM;
      const op = await allocate(
        t,
        request(sessionId, { poolLabel: 'portals', clusterType: system }),
      );
      await registerAsVm(t, harness, vmIdOf(op));
      expect(allocateResponseOf(await waitDone(t, op.id)).poolLabel).toBe('portals');
    });

    it('reuses the idle VM of the session after Free without starting another', async () => {
      const { t, sessionId } = await started();
      const op = await allocate(t, request(sessionId));
      await registerAsVm(t, harness, vmIdOf(op));
      await waitDone(t, op.id);
      await unaryCall(t.client.free.bind(t.client), { vmId: vmIdOf(op) });
      expect(await vmStatus(t, vmIdOf(op))).toBe('VM_STATUS_IDLE');
      const again = await allocate(t, request(sessionId));
      expect(again.done).toBe(true);
      expect(allocateResponseOf(again).vmId).toBe(vmIdOf(op));
      expect(await harness.exists(vmIdOf(op))).toBe(true);
    });

    it('deletes the VM with its process or pod when the session is deleted', async () => {
      const { t, sessionId } = await started();
      const op = await allocate(t, request(sessionId));
      await registerAsVm(t, harness, vmIdOf(op));
      await waitDone(t, op.id);
      await unaryCall(t.client.deleteSession.bind(t.client), { sessionId });
      await waitStatus(t, vmIdOf(op), 'VM_STATUS_DEAD');
      await waitGone(harness, vmIdOf(op));
    });

    it('fails a pending allocation naming the reason when the VM dies underneath', async () => {
      const { t, sessionId } = await started();
      const op = await allocate(t, request(sessionId));
      await pollUntil(() => harness.vmEnv(vmIdOf(op)).catch(() => undefined), {
        timeoutMs: WATCH_MS,
      });
      await harness.killUnderneath(vmIdOf(op));
      const error = errorOf(await waitDone(t, op.id));
      expect(error.message).toMatch(harness.killedReason);
      await waitStatus(t, vmIdOf(op), 'VM_STATUS_DEAD');
    });

    it('deletes a running VM that dies underneath', async () => {
      const { t, sessionId } = await started();
      const op = await allocate(t, request(sessionId));
      await registerAsVm(t, harness, vmIdOf(op));
      await waitDone(t, op.id);
      await harness.killUnderneath(vmIdOf(op));
      await waitStatus(t, vmIdOf(op), 'VM_STATUS_DEAD');
    });

    it('refuses Register with the token of another VM', async () => {
      const { t, sessionId } = await started();
      const first = await allocate(t, request(sessionId));
      const second = await allocate(t, request(sessionId, { poolLabel: 'm' }));
      const env = await pollUntil(() => harness.vmEnv(vmIdOf(first)).catch(() => undefined), {
        timeoutMs: WATCH_MS,
      });
      const register = unaryCall(t.agent.register.bind(t.agent), {
        vmId: vmIdOf(second),
        ott: env.LZY_VM_OTT ?? '',
        endpoints: [],
        metadata: {},
      });
      await expect(register).rejects.toThrow(PermissionDenied);
    });
  });
}
