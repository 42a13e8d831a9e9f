import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverStream, unaryCall } from '@lzy/grpc';
import { portal } from '@lzy/proto';
import { startPortalFixture } from './portal-fixture.ts';
import type { PortalFixture } from './portal-fixture.ts';

let fx: PortalFixture;
beforeEach(async () => {
  fx = await startPortalFixture();
});
afterEach(() => fx.cleanup.close());

const VM_REFUSED = /LZY services only: VMs/;

async function firstError(stream: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const _ of stream) return undefined;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('portal authorization', () => {
  it("refuses a VM the portal's control RPCs (ReadStd, Stop, OpenSlots, Finish); the services still read std", async () => {
    const vm = fx.asVm(portal.PortalServiceClient, 'vm-bob-1');
    const read = await firstError(serverStream(vm.readStd.bind(vm), { fromSeq: 0 }));
    expect(String(read)).toMatch(VM_REFUSED);
    await expect(unaryCall(vm.stop.bind(vm), {})).rejects.toThrow(VM_REFUSED);
    await expect(unaryCall(vm.openSlots.bind(vm), { slots: [] })).rejects.toThrow(VM_REFUSED);
    await expect(unaryCall(vm.finish.bind(vm), { producersDone: true })).rejects.toThrow(
      VM_REFUSED,
    );
    const status = await unaryCall(fx.portal.getSlotsStatus.bind(fx.portal), { slotNames: [] });
    expect(status.slots).toEqual([]);
  });
});
