import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFound } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { portal, slots } from '@lzy/proto';
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

  it("takes WriteStd from a VM of the portal's user only, not from a VM of bob or of no user", async () => {
    const write = (client: portal.PortalServiceClient, text: string) =>
      new Promise<void>((resolve, reject) => {
        const stream = client.writeStd((err) => (err ? reject(err) : resolve()));
        stream.write({
          taskId: 't1',
          stream: portal.StdStream.STD_STREAM_STDOUT,
          data: Buffer.from(text),
        });
        stream.end();
      });
    await expect(
      write(fx.asVm(portal.PortalServiceClient, 'vm-bob-1'), 'forged\n'),
    ).rejects.toThrow(/not of the user VM vm-bob-1 works for/);
    await expect(write(fx.asVm(portal.PortalServiceClient, 'vm-nobody'), 'x\n')).rejects.toThrow(
      /works for no recorded user/,
    );
    await write(fx.asVm(portal.PortalServiceClient, 'vm-alice-1'), 'hello\n');
    const reader = serverStream(fx.portal.readStd.bind(fx.portal), { fromSeq: 0 });
    expect((await reader.next()).value).toMatchObject({ seq: 1, taskId: 't1', data: 'hello\n' });
    await reader.return(undefined);
  });

  it("refuses a VM of bob the portal's slots", async () => {
    const vm = fx.asVm(slots.SlotsServiceClient, 'vm-bob-1');
    const slotUri = `slot://${fx.address}/any/out`;
    const read = await firstError(serverStream(vm.readSlot.bind(vm), { slotUri, offset: 0 }));
    expect(String(read)).toMatch(/not of the user VM vm-bob-1 works for/);
    await expect(unaryCall(vm.getSlotStatus.bind(vm), { slotUri })).rejects.toThrow(
      /not of the user VM vm-bob-1 works for/,
    );
    const aliceVm = fx.asVm(slots.SlotsServiceClient, 'vm-alice-1');
    // Past the guard: the portal answers for alice's VM (this slot was never opened).
    await expect(
      unaryCall(aliceVm.getSlotStatus.bind(aliceVm), { slotUri }),
    ).rejects.toBeInstanceOf(NotFound);
  });
});
