import { afterEach, describe, expect, it } from 'vitest';
import { unaryCall } from '@lzy/grpc';
import { CleanupStack, pollUntil, usePostgres } from '@lzy/testing';
import { IamDouble } from './iam-double.ts';
import {
  allocateRequest,
  allocateRunning,
  createSession,
  internalKeys,
  startTestAllocator,
  vmStatus,
} from './harness.ts';

const pg = usePostgres();
const stack = new CleanupStack();
afterEach(() => stack.close());

describe('allocator with iam', () => {
  it("creates the VM's subject in iam as lzy-internal, working for the session's user, and removes it when the VM is deleted", async () => {
    const iamDouble = new IamDouble((await internalKeys()).publicKeyPem);
    await iamDouble.start();
    stack.push(iamDouble);
    const t = stack.push(await startTestAllocator(pg.url, { LZY_IAM_ADDRESS: iamDouble.address }));

    const sessionId = await createSession(t);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    const subject = iamDouble.byLogin(`vm-${vm.vmId}`);
    expect(subject?.type).toBe('VM');
    expect(subject?.publicKeys).toHaveLength(1);
    expect(subject?.ownerUserId).toBe('alice'); // createSession's owner_user_id
    expect(iamDouble.callers.every((id) => id === 'lzy-internal')).toBe(true);

    await unaryCall(t.client.deleteSession.bind(t.client), { sessionId });
    await pollUntil(
      async () => ((await vmStatus(t, vm.vmId)) === 'VM_STATUS_DEAD' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    expect(iamDouble.byLogin(`vm-${vm.vmId}`)).toBeUndefined();
  });
});
