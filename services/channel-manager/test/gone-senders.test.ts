import { serverStream, unaryCall } from '@lzy/grpc';
import { channelManager, commonSlot } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningChannelManager } from '../src/index.ts';
import { channelManagerTemplate, clientAs, startForTest } from './fixtures.ts';
import { SlotsDouble } from './slots-double.ts';

const { SlotOwner } = channelManager;
const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
type Client = channelManager.ChannelManagerServiceClient;

/** WatchSender collected in the background: the sender slot URIs in the order they came. */
function watch(client: Client, slotUri: string) {
  const senders: string[] = [];
  const controller = new AbortController();
  const done = (async () => {
    try {
      for await (const message of serverStream(
        client.watchSender.bind(client),
        { slotUri },
        { signal: controller.signal },
      ))
        senders.push(message.sender?.slot?.slotUri ?? '');
    } catch {
      // cancelled at the end of the test
    }
  })();
  return { senders, stop: () => (controller.abort(), done) };
}

/**
 * A consumer whose producer's VM was reaped must still get the data: the portal holds the S3
 * copy. The channel manager checks each worker sender it offers (a health check of the worker's
 * SlotsService, without credentials) and unbinds a gone one, so WatchSender moves the receiver to
 * the portal sender.
 */
describe('ChannelManagerService with sender checks', () => {
  const pg = usePostgres({ template: channelManagerTemplate });
  let service: RunningChannelManager;
  let client: Client;
  const worker = new SlotsDouble();
  let executions = 0;

  beforeAll(async () => {
    service = await startForTest(pg.url, { checkSenders: true });
    client = clientAs(service.port, 'lzy-internal');
    await worker.start();
  });
  afterAll(async () => {
    client?.close();
    await service?.stop();
    await worker.stop();
  });

  /** A channel with a worker sender at `senderUri`, the portal's sender and one receiver. */
  async function channelWithSenders(senderUri: string) {
    const executionId = `exec-${++executions}`;
    const { channelId } = await unaryCall(client.createChannel.bind(client), {
      executionId,
      workflowName: 'wf',
      userId: 'alice',
      spec: { channelName: 'data' },
    });
    const bind = (
      slotUri: string,
      direction: commonSlot.Slot_Direction,
      owner: channelManager.SlotOwner,
    ) =>
      unaryCall(client.bind.bind(client), {
        slot: { taskId: 't', slotUri, channelId, slot: { name: 'out', media: 1, direction } },
        owner,
      });
    const portalUri = `slot://portal:1/${executionId}/out`;
    await bind(senderUri, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await bind(portalUri, OUTPUT, SlotOwner.SLOT_OWNER_PORTAL);
    const receiverUri = `slot://consumer:1/${executionId}/in`;
    await bind(receiverUri, INPUT, SlotOwner.SLOT_OWNER_WORKER);
    const status = async () =>
      (await unaryCall(client.getChannelStatus.bind(client), { channelId })).channel;
    return { channelId, portalUri, receiverUri, status, bind };
  }

  it('moves a receiver to the portal when the producer worker is gone', async () => {
    const gone = new SlotsDouble();
    await gone.start();
    const senderUri = `slot://${gone.address}/producer/out`;
    await gone.stop(); // the producer's VM was reaped after its output synced
    const channel = await channelWithSenders(senderUri);

    const receiver = watch(client, channel.receiverUri);
    await expect
      .poll(() => receiver.senders, { timeout: 10_000 })
      .toEqual([senderUri, channel.portalUri]);
    const senders = (await channel.status())?.senders.map((s) => s.slot?.slotUri);
    expect(senders).toEqual([channel.portalUri]);
    await receiver.stop();
  });

  it('drops a worker sender whose address no longer serves slots', async () => {
    const other = new SlotsDouble();
    other.servesSlots = false; // another kind of process took the reaped worker's port
    await other.start();
    try {
      const senderUri = `slot://${other.address}/reaped-task/out`;
      const channel = await channelWithSenders(senderUri);

      const receiver = watch(client, channel.receiverUri);
      await expect
        .poll(() => receiver.senders, { timeout: 10_000 })
        .toEqual([senderUri, channel.portalUri]);
      await receiver.stop();
    } finally {
      await other.stop();
    }
  });

  it("checks a VM's sender address without credentials, so no service token reaches it", async () => {
    const bound = new SlotsDouble(); // an address a VM bound: a user's op may listen there
    await bound.start();
    try {
      const senderUri = `slot://${bound.address}/op-of-bob/out`;
      const channel = await channelWithSenders(senderUri);
      const receiver = watch(client, channel.receiverUri);
      await expect.poll(() => bound.checkCalls, { timeout: 10_000 }).toBeGreaterThan(0);
      await receiver.stop();
      expect(bound.authorizations).toEqual(bound.authorizations.map(() => ''));
      expect(bound.authorizations.length).toBeGreaterThan(0);
    } finally {
      await bound.stop();
    }
  });

  it('keeps a live worker sender', async () => {
    const senderUri = `slot://${worker.address}/live-task/out`;
    const before = worker.checkCalls;
    const channel = await channelWithSenders(senderUri);

    const first = watch(client, channel.receiverUri);
    await expect.poll(() => worker.checkCalls, { timeout: 10_000 }).toBeGreaterThan(before);
    // A second receiver's check starts only once the first check ended (one check per sender
    // at a time): when the worker saw it, the first verdict was applied.
    const secondUri = channel.receiverUri.replace('/in', '/in2');
    await channel.bind(secondUri, INPUT, SlotOwner.SLOT_OWNER_WORKER);
    const second = watch(client, secondUri);
    await expect.poll(() => worker.checkCalls, { timeout: 10_000 }).toBeGreaterThan(before + 1);

    const senders = (await channel.status())?.senders.map((s) => s.slot?.slotUri);
    expect(senders).toEqual([senderUri, channel.portalUri]);
    expect(first.senders).toEqual([senderUri]);
    expect(second.senders).toEqual([senderUri]);
    await first.stop();
    await second.stop();
  });
});
