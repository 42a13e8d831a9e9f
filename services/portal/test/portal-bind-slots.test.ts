import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3BlobStore } from '@lzy/blob';
import { FailedPrecondition, NotFound } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { commonSlot, portal } from '@lzy/proto';
import { s3Config, testBucket } from '@lzy/testing';
import { bufferContent } from './doubles/worker-slots-double.ts';
import { snapshotSlot, startPortalFixture } from './portal-fixture.ts';
import type { PortalFixture } from './portal-fixture.ts';

const { INPUT, OUTPUT } = commonSlot.Slot_Direction;

let fx: PortalFixture;
beforeEach(async () => {
  fx = await startPortalFixture();
});
afterEach(() => fx.cleanup.close());

function openSlots(...slots: portal.PortalSlotDesc[]) {
  return unaryCall(fx.portal.openSlots.bind(fx.portal), { slots });
}

function statuses(slotNames: string[]) {
  return unaryCall(fx.portal.getSlotsStatus.bind(fx.portal), { slotNames });
}

/** The graph's slots as lzy-service opens them: an output per op and one stored input. */
async function graphSlots(bucket: string) {
  const s3 = s3Config();
  const store = new S3BlobStore({ ...s3, bucket, forcePathStyle: true });
  await store.put('inputs/arg', Buffer.from('42'));
  store.close();
  return [
    snapshotSlot('/arg', 'OUTPUT', 'ch-arg', `s3://${bucket}/inputs/arg`),
    ...[1, 2, 3].map((i) =>
      snapshotSlot(`/op${i}/out`, 'INPUT', `ch-${i}`, `s3://${bucket}/o${i}`),
    ),
  ];
}

describe('portal slot bindings', () => {
  it('binds every snapshot slot of an OpenSlots in one BindSlots call before answering', async () => {
    const slots = await graphSlots(await testBucket());
    await openSlots(...slots);
    expect(fx.channelManager.bindSlotsCalls).toHaveLength(1);
    const [call] = fx.channelManager.bindSlotsCalls;
    expect(call?.unbindSlotUris).toEqual([]);
    expect(call?.binds.map((b) => [b.slot?.channelId, b.slot?.slot?.direction, b.owner])).toEqual([
      ['ch-arg', OUTPUT, 2],
      ['ch-1', INPUT, 2],
      ['ch-2', INPUT, 2],
      ['ch-3', INPUT, 2],
    ]);
    await openSlots(...slots); // idempotent: nothing new to bind
    expect(fx.channelManager.bindSlotsCalls).toHaveLength(1);
  });

  it("fails OpenSlots with the channel manager's refusal, opening none of them; a retry binds them", async () => {
    const slots = await graphSlots(await testBucket());
    const names = slots.map((s) => s.slot?.name ?? '');
    fx.channelManager.failBindSlots = 1;
    const refused = openSlots(...slots);
    await expect(refused).rejects.toThrow(FailedPrecondition);
    await expect(refused).rejects.toThrow(/already has a portal/);
    await expect(statuses(names)).rejects.toThrow(NotFound);

    await openSlots(...slots);
    expect(fx.channelManager.bindSlotsCalls).toHaveLength(1);
    expect((await statuses(names)).slots.map((s) => s.slotName)).toEqual(names);
  });

  it('turns a synced receiver into the sender with one call that unbinds and binds it', async () => {
    const bucket = await testBucket();
    const senderUri = fx.worker.addSlot('task-s', 'out', bufferContent(randomBytes(1000)));
    await openSlots(snapshotSlot('/s/out', 'INPUT', 'ch-s', `s3://${bucket}/s`));
    const receiverUri = fx.channelManager.bindSlotsCalls[0]?.binds[0]?.slot?.slotUri;
    fx.channelManager.bindWorkerSender('ch-s', senderUri);
    for await (const m of serverStream(fx.portal.watchSlots.bind(fx.portal), {
      slotNames: ['/s/out'],
    }))
      if (m.slot?.snapshotStatus === portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED) break;

    await expect.poll(() => fx.channelManager.bindSlotsCalls.length).toBe(2);
    const swap = fx.channelManager.bindSlotsCalls[1];
    expect(swap?.unbindSlotUris).toEqual([receiverUri]);
    expect(swap?.binds).toHaveLength(1);
    expect(swap?.binds[0]).toMatchObject({
      owner: 2,
      slot: { slotUri: receiverUri, channelId: 'ch-s', slot: { direction: OUTPUT } },
    });
  });
});
