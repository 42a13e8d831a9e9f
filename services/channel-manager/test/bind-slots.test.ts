import {
  AlreadyExists,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  PermissionDenied,
} from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { channelManager, commonSlot } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningChannelManager } from '../src/index.ts';
import { channelManagerTemplate, clientAs, startForTest, statementsRun } from './fixtures.ts';

const { SLOT_OWNER_WORKER: WORKER, SLOT_OWNER_PORTAL: PORTAL } = channelManager.SlotOwner;
const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
type Client = channelManager.ChannelManagerServiceClient;
type Endpoint = channelManager.Endpoint;

function endpoint(
  channelId: string,
  slotUri: string,
  direction: commonSlot.Slot_Direction,
  owner: channelManager.SlotOwner,
): Endpoint {
  const slot = {
    name: slotUri.split('/').pop() ?? '',
    media: commonSlot.Slot_Media.FILE,
    direction,
  };
  return { slot: { taskId: 'task', slotUri, channelId, slot }, owner };
}

function bindSlots(client: Client, binds: Endpoint[], unbindSlotUris: string[] = []) {
  return unaryCall(client.bindSlots.bind(client), { binds, unbindSlotUris });
}

/** The first sender WatchSender pushes to `slotUri`. */
async function firstSender(client: Client, slotUri: string): Promise<string> {
  for await (const m of serverStream(client.watchSender.bind(client), { slotUri }))
    return m.sender?.slot?.slotUri ?? '';
  return '';
}

describe('BindSlots', () => {
  const pg = usePostgres({ template: channelManagerTemplate });
  let service: RunningChannelManager;
  let client: Client;
  let executions = 0;

  beforeAll(async () => {
    service = await startForTest(pg.url, { metrics: true });
    client = clientAs(service.port, 'lzy-internal');
  });
  afterAll(async () => {
    client?.close();
    await service?.stop();
  });

  /** `count` channels of a new execution of `userId`; ids in order. */
  async function channels(count: number, userId = 'alice') {
    const executionId = `exec-${++executions}`;
    const { channelIds } = await unaryCall(client.createChannels.bind(client), {
      executionId,
      workflowName: 'wf',
      userId,
      specs: Array.from({ length: count }, (_, i) => ({ channelName: `c${i}` })),
    });
    return { executionId, ids: channelIds, uri: (name: string) => `slot://${executionId}/${name}` };
  }

  /** Per channel of the execution: its sender and receiver slot URIs. */
  async function bound(executionId: string) {
    const { channels: list } = await unaryCall(client.listChannels.bind(client), { executionId });
    return list.map((c) => ({
      senders: c.senders.map((e) => e.slot?.slotUri),
      receivers: c.receivers.map((e) => e.slot?.slotUri),
    }));
  }

  it('binds the slots of a whole graph in one call, in as many statements as one slot', async () => {
    const small = await channels(2);
    const big = await channels(200);
    const portalSlots = (x: typeof big) =>
      x.ids.map(
        (id, i) =>
          i === 0
            ? endpoint(id, x.uri(`portal/in${i}`), OUTPUT, PORTAL) // a stored input it serves
            : endpoint(id, x.uri(`portal/out${i}`), INPUT, PORTAL), // an output it stores
      );
    const before = await statementsRun(service.metricsPort);
    await bindSlots(client, portalSlots(small));
    const afterSmall = await statementsRun(service.metricsPort);
    await bindSlots(client, portalSlots(big));
    const afterBig = await statementsRun(service.metricsPort);
    await unaryCall(
      client.bind.bind(client),
      endpoint(big.ids[1]!, big.uri('w/out'), OUTPUT, WORKER),
    );
    const afterOne = await statementsRun(service.metricsPort);

    // BEGIN, lock the channels, read their endpoints, INSERT + NOTIFY, COMMIT.
    expect(afterSmall - before).toBe(5);
    expect(afterBig - afterSmall).toBe(5);
    expect(afterOne - afterBig).toBe(5);
    const channelsNow = await bound(big.executionId);
    expect(channelsNow[0]).toEqual({ senders: [big.uri('portal/in0')], receivers: [] });
    expect(channelsNow[1]).toEqual({
      senders: [big.uri('w/out')],
      receivers: [big.uri('portal/out1')],
    });
    expect(channelsNow.slice(2).every((c) => c.receivers.length === 1)).toBe(true);
    await expect(firstSender(client, big.uri('portal/out1'))).resolves.toBe(big.uri('w/out'));
  });

  it('refuses the whole batch when one slot is refused, naming it, and changes nothing', async () => {
    const x = await channels(4);
    const sender = endpoint(x.ids[3]!, x.uri('a/out'), OUTPUT, WORKER);
    const earlier = endpoint(x.ids[0]!, x.uri('r/earlier'), INPUT, WORKER);
    await bindSlots(client, [sender, earlier]);
    const receivers = x.ids
      .slice(0, 3)
      .map((id, i) => endpoint(id, x.uri(`r/in${i}`), INPUT, WORKER));
    const unchanged = await bound(x.executionId);

    // A second worker sender breaks an invariant of channel 3: the receivers are not bound and
    // the receiver unbound in the same batch stays bound.
    const secondSender = endpoint(x.ids[3]!, x.uri('b/out'), OUTPUT, WORKER);
    const refused = bindSlots(client, [...receivers, secondSender], [earlier.slot!.slotUri]);
    await expect(refused).rejects.toThrow(FailedPrecondition);
    await expect(refused).rejects.toThrow(`channel ${x.ids[3]!} already has a worker sender`);
    await expect(
      bindSlots(client, [
        ...receivers,
        endpoint(`${x.executionId}/nope`, x.uri('n'), INPUT, WORKER),
      ]),
    ).rejects.toThrow(NotFound);
    const noUri = endpoint(x.ids[0]!, '', INPUT, WORKER);
    await expect(bindSlots(client, [...receivers, noUri])).rejects.toThrow(
      new InvalidArgument('binds[3].slot.slotUri is required'),
    );
    const noOwner = endpoint(
      x.ids[0]!,
      x.uri('o'),
      INPUT,
      channelManager.SlotOwner.SLOT_OWNER_UNSPECIFIED,
    );
    await expect(bindSlots(client, [receivers[0]!, noOwner])).rejects.toThrow(/binds\[1\]\.owner/);
    expect(await bound(x.executionId)).toEqual(unchanged);
  });

  it("refuses a VM of bob a batch touching alice's channels or slots, and binds none of it", async () => {
    const alices = await channels(2, 'alice');
    const bobs = await channels(1, 'bob');
    const alicesSender = endpoint(alices.ids[0]!, alices.uri('a/out'), OUTPUT, WORKER);
    await bindSlots(client, [alicesSender]);
    const bobVm = clientAs(service.port, 'vm-bob-1');
    const nobodysVm = clientAs(service.port, 'vm-orphan');
    const aliceVm = clientAs(service.port, 'vm-alice-1');
    try {
      const own = endpoint(bobs.ids[0]!, bobs.uri('b/in'), INPUT, WORKER);
      const notBobs = /is not of the user VM vm-bob-1 works for/;
      const intoAlices = bindSlots(bobVm, [
        own,
        endpoint(alices.ids[1]!, bobs.uri('evil/out'), OUTPUT, WORKER),
      ]);
      await expect(intoAlices).rejects.toThrow(PermissionDenied);
      await expect(intoAlices).rejects.toThrow(notBobs);
      // Unbinding alice's sender, or moving it into bob's channel, is refused the same way.
      await expect(bindSlots(bobVm, [own], [alicesSender.slot!.slotUri])).rejects.toThrow(notBobs);
      const moved = endpoint(bobs.ids[0]!, alicesSender.slot!.slotUri, OUTPUT, WORKER);
      await expect(bindSlots(bobVm, [moved])).rejects.toThrow(notBobs);
      await expect(bindSlots(nobodysVm, [own])).rejects.toThrow(/works for no recorded user/);
      expect(await bound(bobs.executionId)).toEqual([{ senders: [], receivers: [] }]);
      expect(await bound(alices.executionId)).toEqual([
        { senders: [alicesSender.slot!.slotUri], receivers: [] },
        { senders: [], receivers: [] },
      ]);
      // alice's own VM binds into her channels, authorized on the rows the bind reads anyway.
      const before = await statementsRun(service.metricsPort);
      await bindSlots(aliceVm, [endpoint(alices.ids[1]!, alices.uri('b/in'), INPUT, WORKER)]);
      expect((await statementsRun(service.metricsPort)) - before).toBe(5);
      expect((await bound(alices.executionId))[1]?.receivers).toEqual([alices.uri('b/in')]);
    } finally {
      bobVm.close();
      nobodysVm.close();
      aliceVm.close();
    }
  });

  it('is idempotent: a repeated batch changes nothing, a conflicting one is refused', async () => {
    const x = await channels(3);
    const batch = x.ids.map((id, i) => endpoint(id, x.uri(`p/out${i}`), INPUT, PORTAL));
    await bindSlots(client, batch);
    const first = await bound(x.executionId);
    await bindSlots(client, batch);
    await bindSlots(client, [batch[1]!, batch[1]!]);
    expect(await bound(x.executionId)).toEqual(first);
    const asSender = endpoint(x.ids[0]!, x.uri('p/out0'), OUTPUT, PORTAL);
    await expect(bindSlots(client, [asSender])).rejects.toThrow(AlreadyExists);
  });

  it('turns the portal receiver into the sender in one call; receivers fall back to it', async () => {
    const x = await channels(1);
    const [id] = x.ids as [string];
    const workerSender = endpoint(id, x.uri('w/out'), OUTPUT, WORKER);
    const portalUri = x.uri('portal/out');
    await bindSlots(client, [
      workerSender,
      endpoint(id, portalUri, INPUT, PORTAL),
      endpoint(id, x.uri('c/in'), INPUT, WORKER),
    ]);
    const rebind = () => bindSlots(client, [endpoint(id, portalUri, OUTPUT, PORTAL)], [portalUri]);
    await rebind();
    await rebind(); // a retry after a lost answer
    expect(await bound(x.executionId)).toEqual([
      { senders: [x.uri('w/out'), portalUri], receivers: [x.uri('c/in')] },
    ]);
    await bindSlots(client, [], [workerSender.slot!.slotUri]);
    await expect(firstSender(client, x.uri('c/in'))).resolves.toBe(portalUri);
  });

  it('lets concurrent batches into the same channels through one after the other, whole', async () => {
    const x = await channels(2);
    const [c0, c1] = x.ids as [string, string];
    const results = await Promise.allSettled([
      bindSlots(client, [
        endpoint(c0, x.uri('a/0'), OUTPUT, WORKER),
        endpoint(c1, x.uri('a/1'), OUTPUT, WORKER),
      ]),
      bindSlots(client, [
        endpoint(c1, x.uri('b/1'), OUTPUT, WORKER),
        endpoint(c0, x.uri('b/0'), OUTPUT, WORKER),
      ]),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(FailedPrecondition);
    const winner = results[0]?.status === 'fulfilled' ? 'a' : 'b';
    expect(await bound(x.executionId)).toEqual([
      { senders: [x.uri(`${winner}/0`)], receivers: [] },
      { senders: [x.uri(`${winner}/1`)], receivers: [] },
    ]);
  });
});
