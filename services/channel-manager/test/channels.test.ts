import { FailedPrecondition, PermissionDenied, AlreadyExists } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { channelManager, commonSlot } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningChannelManager } from '../src/index.ts';
import { channelManagerTemplate, clientAs, startForTest, statementsRun } from './fixtures.ts';

const { SlotOwner } = channelManager;
const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
type Client = channelManager.ChannelManagerServiceClient;

/** A WatchSender stream collected in the background: the sender slot URIs in order, and how it ended. */
function watch(client: Client, slotUri: string) {
  const senders: string[] = [];
  const state: { ended: boolean; error?: unknown } = { ended: false };
  const controller = new AbortController();
  const done = (async () => {
    try {
      for await (const message of serverStream(
        client.watchSender.bind(client),
        { slotUri },
        { signal: controller.signal },
      ))
        senders.push(message.sender?.slot?.slotUri ?? '');
    } catch (err) {
      state.error = err;
    } finally {
      state.ended = true;
    }
  })();
  return { senders, state, done, cancel: () => controller.abort() };
}

describe('ChannelManagerService', () => {
  const pg = usePostgres({ template: channelManagerTemplate });
  let service: RunningChannelManager;
  let client: Client;
  let alice: Client;
  let executionCounter = 0;

  beforeAll(async () => {
    service = await startForTest(pg.url);
    client = clientAs(service.port, 'lzy-internal');
    alice = clientAs(service.port, 'alice');
  });
  afterAll(async () => {
    client?.close();
    alice?.close();
    await service?.stop();
  });

  const newExecution = () => `exec-${++executionCounter}`;
  const createChannel = async (executionId: string, channelName = 'data') =>
    (
      await unaryCall(client.createChannel.bind(client), {
        executionId,
        workflowName: 'wf',
        userId: 'alice',
        spec: { channelName },
      })
    ).channelId;
  const bind = (
    channelId: string,
    slotUri: string,
    direction: commonSlot.Slot_Direction,
    owner: channelManager.SlotOwner,
  ) =>
    unaryCall(client.bind.bind(client), {
      slot: {
        taskId: 'task',
        slotUri,
        channelId,
        slot: { name: slotUri.split('/').pop() ?? '', media: 1, direction },
      },
      owner,
    });
  const unbind = (slotUri: string) => unaryCall(client.unbind.bind(client), { slotUri });

  it('pushes the sender to a receiver that bound first, as soon as the sender binds', async () => {
    const e = newExecution();
    const channelId = await createChannel(e);
    await bind(channelId, `slot://w2:1/${e}/b/in`, INPUT, SlotOwner.SLOT_OWNER_WORKER);
    const watcher = watch(client, `slot://w2:1/${e}/b/in`);
    await bind(channelId, `slot://w1:1/${e}/a/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await expect.poll(() => watcher.senders).toEqual([`slot://w1:1/${e}/a/out`]);
    watcher.cancel();
    await watcher.done;
  });

  it('wakes a watcher on another instance, and one of its own once per change', async () => {
    const mine = await startForTest(pg.url, { metrics: true });
    const other = await startForTest(pg.url);
    const mineClient = clientAs(mine.port, 'lzy-internal');
    const otherClient = clientAs(other.port, 'lzy-internal');
    try {
      const e = newExecution();
      const channelId = await createChannel(e);
      await bind(channelId, `slot://w2:1/${e}/b/in`, INPUT, SlotOwner.SLOT_OWNER_WORKER);
      const remote = watch(otherClient, `slot://w2:1/${e}/b/in`);
      const local = watch(mineClient, `slot://w2:1/${e}/b/in`);
      // The local watcher read the channel (its endpoint, the channel's endpoints: no sender yet).
      await expect.poll(() => statementsRun(mine.metricsPort)).toBeGreaterThanOrEqual(2);
      const before = await statementsRun(mine.metricsPort);
      await unaryCall(mineClient.bind.bind(mineClient), {
        slot: {
          taskId: 'task',
          slotUri: `slot://w1:1/${e}/a/out`,
          channelId,
          slot: { name: 'out', media: 1, direction: OUTPUT },
        },
        owner: SlotOwner.SLOT_OWNER_WORKER,
      });
      // Through pg NOTIFY from this instance to the other one.
      await expect.poll(() => remote.senders).toEqual([`slot://w1:1/${e}/a/out`]);
      await expect.poll(() => local.senders).toEqual([`slot://w1:1/${e}/a/out`]);
      // Its own NOTIFY coming back must not wake the local watcher a second time.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const bindStatements = 5;
      const rereads = (await statementsRun(mine.metricsPort)) - before - bindStatements;
      expect(rereads).toBe(1);
      remote.cancel();
      local.cancel();
      await Promise.all([remote.done, local.done]);
    } finally {
      mineClient.close();
      otherClient.close();
      await Promise.all([mine.stop(), other.stop()]);
    }
  });

  it('sends an already bound sender at once', async () => {
    const e = newExecution();
    const channelId = await createChannel(e);
    await bind(channelId, `slot://w1:1/${e}/a/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await bind(channelId, `slot://w2:1/${e}/b/in`, INPUT, SlotOwner.SLOT_OWNER_WORKER);
    const watcher = watch(client, `slot://w2:1/${e}/b/in`);
    await expect.poll(() => watcher.senders).toEqual([`slot://w1:1/${e}/a/out`]);
    watcher.cancel();
    await watcher.done;
  });

  it('prefers the worker sender and falls back to the portal sender when the worker unbinds', async () => {
    const e = newExecution();
    const channelId = await createChannel(e);
    await bind(channelId, `slot://p:1/${e}/portal/x`, OUTPUT, SlotOwner.SLOT_OWNER_PORTAL);
    await bind(channelId, `slot://w2:1/${e}/b/in`, INPUT, SlotOwner.SLOT_OWNER_WORKER);
    const watcher = watch(client, `slot://w2:1/${e}/b/in`);
    await expect.poll(() => watcher.senders).toEqual([`slot://p:1/${e}/portal/x`]);
    await bind(channelId, `slot://w1:1/${e}/a/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await expect
      .poll(() => watcher.senders)
      .toEqual([`slot://p:1/${e}/portal/x`, `slot://w1:1/${e}/a/out`]);
    await unbind(`slot://w1:1/${e}/a/out`);
    await expect
      .poll(() => watcher.senders)
      .toEqual([`slot://p:1/${e}/portal/x`, `slot://w1:1/${e}/a/out`, `slot://p:1/${e}/portal/x`]);
    await unbind(`slot://w2:1/${e}/b/in`);
    await watcher.done;
    expect(watcher.state.error).toBeUndefined();
  });

  it('returns the same channel id when a channel is created twice', async () => {
    const executionId = newExecution();
    const first = await createChannel(executionId, `${executionId}/0123456789abcdef`);
    expect(first).toBe(`${executionId}/0123456789abcdef`);
    expect(await createChannel(executionId, `${executionId}/0123456789abcdef`)).toBe(first);
    expect(await createChannel(executionId, 'plain')).toBe(`${executionId}/plain`);
  });

  it('creates the channels of a graph in one call, idempotently, ids in request order', async () => {
    const executionId = newExecution();
    const createMany = (names: string[]) =>
      unaryCall(client.createChannels.bind(client), {
        executionId,
        workflowName: 'wf',
        userId: 'alice',
        specs: names.map((channelName) => ({ channelName })),
      });
    const names = Array.from({ length: 6000 }, (_, i) => `c${i}`); // more than one INSERT chunk
    const { channelIds } = await createMany([...names, 'c0']);
    expect(channelIds).toHaveLength(6001);
    expect(channelIds[5999]).toBe(`${executionId}/c5999`);
    expect(channelIds[6000]).toBe(`${executionId}/c0`);
    expect((await createMany(['c1', 'new'])).channelIds).toEqual([
      `${executionId}/c1`,
      `${executionId}/new`,
    ]);
    expect(await createChannel(executionId, 'c7')).toBe(`${executionId}/c7`);
    const { channels } = await unaryCall(client.listChannels.bind(client), { executionId });
    expect(channels).toHaveLength(6001);
    await expect(
      unaryCall(client.createChannels.bind(client), {
        executionId,
        workflowName: 'another-wf',
        userId: 'alice',
        specs: [{ channelName: 'brand-new' }, { channelName: 'c3' }],
      }),
    ).rejects.toBeInstanceOf(AlreadyExists);
    // the refused batch stored nothing
    const after = await unaryCall(client.listChannels.bind(client), { executionId });
    expect(after.channels.map((c) => c.spec?.channelName)).not.toContain('brand-new');
  });

  it('rejects a second name for a channel id with another spec', async () => {
    const executionId = newExecution();
    await createChannel(executionId, 'x');
    await expect(createChannel(executionId, `${executionId}/x`)).rejects.toBeInstanceOf(
      AlreadyExists,
    );
  });

  it('ends the WatchSender streams of an execution when its channels are destroyed', async () => {
    const executionId = newExecution();
    const e = executionId;
    const channelId = await createChannel(executionId);
    await bind(channelId, `slot://w2:1/${e}/b/in`, INPUT, SlotOwner.SLOT_OWNER_WORKER);
    await bind(channelId, `slot://portal:1/${e}/b/out`, OUTPUT, SlotOwner.SLOT_OWNER_PORTAL);
    const watcher = watch(client, `slot://w2:1/${e}/b/in`);
    // The stream is surely open once it delivered the sender (a receiver count in the channel
    // status does not say so: the WatchSender call may still be on its way).
    await expect.poll(() => watcher.senders.length).toBe(1);
    await unaryCall(client.destroyAllChannels.bind(client), { executionId });
    await watcher.done;
    expect(watcher.state.error).toBeUndefined();
    const { channels } = await unaryCall(client.listChannels.bind(client), { executionId });
    expect(channels).toEqual([]);
  });

  it('refuses a second worker sender on one channel', async () => {
    const e = newExecution();
    const channelId = await createChannel(e);
    await bind(channelId, `slot://w1:1/${e}/a/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await bind(channelId, `slot://w1:1/${e}/a/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await expect(
      bind(channelId, `slot://w3:1/${e}/c/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER),
    ).rejects.toBeInstanceOf(FailedPrecondition);
  });

  it('lists a channel with its senders and receivers', async () => {
    const executionId = newExecution();
    const e = executionId;
    const channelId = await createChannel(executionId);
    await bind(channelId, `slot://w1:1/${e}/a/out`, OUTPUT, SlotOwner.SLOT_OWNER_WORKER);
    await bind(channelId, `slot://p:1/${e}/portal/in`, INPUT, SlotOwner.SLOT_OWNER_PORTAL);
    const { channels } = await unaryCall(client.listChannels.bind(client), { executionId });
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({
      channelId,
      workflowName: 'wf',
      userId: 'alice',
      senders: [
        { owner: SlotOwner.SLOT_OWNER_WORKER, slot: { slotUri: `slot://w1:1/${e}/a/out` } },
      ],
      receivers: [
        { owner: SlotOwner.SLOT_OWNER_PORTAL, slot: { slotUri: `slot://p:1/${e}/portal/in` } },
      ],
    });
  });

  it('refuses an end user with PERMISSION_DENIED', async () => {
    await expect(
      unaryCall(alice.createChannel.bind(alice), {
        executionId: 'e',
        workflowName: 'wf',
        userId: 'alice',
        spec: { channelName: 'x' },
      }),
    ).rejects.toBeInstanceOf(PermissionDenied);
    const watcher = watch(alice, 'slot://w2:1/any/b/in');
    await watcher.done;
    expect(watcher.state.error).toBeInstanceOf(PermissionDenied);
  });

  it("lets a VM of alice bind into alice's channel and refuses a VM of bob, or of no user, every channel RPC there", async () => {
    const e = newExecution();
    const channelId = await createChannel(e); // alice's
    const slot = (slotUri: string, direction: commonSlot.Slot_Direction) => ({
      taskId: 'task',
      slotUri,
      channelId,
      slot: {
        name: slotUri.split('/').pop() ?? '',
        media: commonSlot.Slot_Media.FILE,
        direction,
      },
    });
    const aliceVm = clientAs(service.port, 'vm-alice-1');
    const bobVm = clientAs(service.port, 'vm-bob-1');
    const nobodysVm = clientAs(service.port, 'vm-orphan');
    try {
      const receiverUri = `slot://w1:1/${e}/consumer/in`;
      await unaryCall(aliceVm.bind.bind(aliceVm), {
        slot: slot(receiverUri, INPUT),
        owner: SlotOwner.SLOT_OWNER_WORKER,
      });
      const notBobs = /is not of the user VM vm-bob-1 works for/;
      const planted = `slot://evil:1/${e}/planted/out`;
      await expect(
        unaryCall(bobVm.bind.bind(bobVm), {
          slot: slot(planted, OUTPUT),
          owner: SlotOwner.SLOT_OWNER_WORKER,
        }),
      ).rejects.toThrow(notBobs);
      await expect(
        unaryCall(nobodysVm.bind.bind(nobodysVm), {
          slot: slot(planted, OUTPUT),
          owner: SlotOwner.SLOT_OWNER_WORKER,
        }),
      ).rejects.toThrow(/works for no recorded user/);
      await expect(unaryCall(bobVm.unbind.bind(bobVm), { slotUri: receiverUri })).rejects.toThrow(
        notBobs,
      );
      await expect(unaryCall(bobVm.getChannelStatus.bind(bobVm), { channelId })).rejects.toThrow(
        notBobs,
      );
      const bobWatching = watch(bobVm, receiverUri);
      await bobWatching.done;
      expect(String(bobWatching.state.error)).toMatch(notBobs);

      const status = await unaryCall(aliceVm.getChannelStatus.bind(aliceVm), { channelId });
      expect(status.channel?.senders).toEqual([]);
      expect(status.channel?.receivers.map((r) => r.slot?.slotUri)).toEqual([receiverUri]);
    } finally {
      aliceVm.close();
      bobVm.close();
      nobodysVm.close();
    }
  });

  it("refuses a VM that creates, lists or destroys alice's channels, and keeps them", async () => {
    const e = newExecution();
    const channelId = await createChannel(e);
    const vm = clientAs(service.port, 'vm-bob');
    const vmOnly = /LZY services only: VMs/;
    try {
      await expect(unaryCall(vm.destroyAllChannels.bind(vm), { executionId: e })).rejects.toThrow(
        vmOnly,
      );
      await expect(unaryCall(vm.destroyChannel.bind(vm), { channelId })).rejects.toThrow(vmOnly);
      await expect(unaryCall(vm.listChannels.bind(vm), { executionId: e })).rejects.toThrow(vmOnly);
      await expect(
        unaryCall(vm.createChannel.bind(vm), {
          executionId: e,
          workflowName: 'wf',
          userId: 'alice',
          spec: { channelName: 'planted' },
        }),
      ).rejects.toThrow(vmOnly);
    } finally {
      vm.close();
    }
    const { channels } = await unaryCall(client.listChannels.bind(client), { executionId: e });
    expect(channels.map((c) => c.channelId)).toEqual([channelId]);
  });
});
