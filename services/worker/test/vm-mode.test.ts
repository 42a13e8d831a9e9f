import { afterEach, describe, expect, it } from 'vitest';
import { generateRsaKeyPair } from '@lzy/auth';
import { allocator } from '@lzy/proto';
import { CleanupStack } from '@lzy/testing';
import { AllocatorDouble } from './doubles/allocator-double.ts';
import {
  initAndExecute,
  log,
  startTestWorker,
  stdText,
  taskDesc,
  watchAll,
} from './worker-harness.ts';

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

describe('worker on a VM', () => {
  it('registers with the allocator using its one-time token, then heartbeats', async () => {
    const allocatorDouble = new AllocatorDouble({ heartbeatPeriodMs: 50 });
    const allocatorAddress = await allocatorDouble.start(log);
    cleanup.defer(() => allocatorDouble.stop());
    const vmKeys = await generateRsaKeyPair();
    const w = await startTestWorker(cleanup, {
      LZY_VM_ID: 'vm-1',
      LZY_VM_OTT: 'ott-secret-1',
      LZY_VM_PRIVATE_KEY: vmKeys.privateKeyPem,
      LZY_ALLOCATOR_ADDRESS: allocatorAddress,
    });

    expect(allocatorDouble.registrations).toEqual([
      {
        vmId: 'vm-1',
        ott: 'ott-secret-1',
        endpoints: [
          { type: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME, value: w.running.address },
        ],
        metadata: {},
        issuer: 'vm-vm-1',
      },
    ]);
    await expect
      .poll(() => allocatorDouble.heartbeats.length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    expect(allocatorDouble.heartbeats[0]).toEqual({ vmId: 'vm-1', ott: 'ott-secret-1' });

    // The user command sees a clean environment: no VM token or key.
    await initAndExecute(w, { taskId: 't-env', desc: taskDesc('env') });
    const env = stdText(await watchAll(w, 't-env'), 'stdout');
    expect(env).toContain('LZY_TASK_ID=t-env');
    expect(env).toContain('LZY_MOUNT=');
    expect(env).not.toContain('ott-secret-1');
    expect(env).not.toContain('PRIVATE KEY');
    expect(env).not.toContain('LZY_VM_');
  });
});
