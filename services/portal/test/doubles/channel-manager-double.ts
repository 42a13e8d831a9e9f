import { FailedPrecondition } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { channelManager } from '@lzy/proto';

type Endpoint = channelManager.Endpoint;

/**
 * Test double of the channel manager's internal API, in memory, over real grpc-js: Bind and
 * BindSlots record endpoints, WatchSender pushes the channel's sender as soon as one is bound.
 */
export class ChannelManagerDouble {
  /** Every endpoint bound, in order (BindSlots entries as Bind requests). */
  readonly binds: channelManager.BindRequest[] = [];
  /** Every BindSlots request, in order. */
  readonly bindSlotsCalls: channelManager.BindSlotsRequest[] = [];
  /** BindSlots requests to refuse with FAILED_PRECONDITION before recording anything. */
  failBindSlots = 0;
  readonly #senders = new Map<string, Endpoint>();
  readonly #receivers = new Map<string, string>(); // receiver slotUri → channelId
  readonly #waiting = new Map<string, Array<(sender: Endpoint) => void>>();
  #server: GrpcServer | undefined;

  async start(log: Logger): Promise<string> {
    this.#server = await startGrpcServer({
      name: 'channel-manager-double',
      port: 0,
      log,
      services: [
        implement(
          channelManager.ChannelManagerServiceService,
          {
            createChannel: 'unimplemented',
            createChannels: 'unimplemented',
            destroyChannel: 'unimplemented',
            destroyAllChannels: 'unimplemented',
            getChannelStatus: (request) => {
              const sender = this.#senders.get(request.channelId);
              return Promise.resolve({
                channel: {
                  channelId: request.channelId,
                  executionId: '',
                  workflowName: '',
                  userId: '',
                  senders: sender === undefined ? [] : [sender],
                  receivers: [],
                  lifeStatus: channelManager.ChannelLifeStatus.CHANNEL_LIFE_STATUS_ALIVE,
                },
              });
            },
            listChannels: 'unimplemented',
            bind: (request) => {
              this.#bind(request);
              return Promise.resolve({});
            },
            bindSlots: (request) => {
              if (this.failBindSlots > 0) {
                this.failBindSlots -= 1;
                return Promise.reject(new FailedPrecondition('channel ch-x already has a portal'));
              }
              this.bindSlotsCalls.push(request);
              for (const slotUri of request.unbindSlotUris) this.#receivers.delete(slotUri);
              for (const endpoint of request.binds) this.#bind(endpoint);
              return Promise.resolve({});
            },
            unbind: () => Promise.resolve({}),
            watchSender: async (request, ctx, send) => {
              const channelId = this.#receivers.get(request.slotUri);
              if (channelId === undefined) throw new Error(`not bound: ${request.slotUri}`);
              const sender = await this.#senderOf(channelId, ctx.signal);
              await send({ sender });
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            },
          },
          { auth: 'none' },
        ),
      ],
    });
    return `127.0.0.1:${this.#server.port}`;
  }

  /** What a worker does after its op produced the output: bind it as the channel's sender. */
  bindWorkerSender(channelId: string, slotUri: string): void {
    this.#bindSender(channelId, {
      slot: { taskId: 'task', slotUri, channelId },
      owner: channelManager.SlotOwner.SLOT_OWNER_WORKER,
    });
  }

  stop(): Promise<void> {
    return this.#server?.stop() ?? Promise.resolve();
  }

  #bind(request: channelManager.BindRequest): void {
    this.binds.push(request);
    const slot = request.slot;
    if (slot?.slot?.direction === 1) this.#receivers.set(slot.slotUri, slot.channelId);
    else if (slot !== undefined) this.#bindSender(slot.channelId, { slot, owner: request.owner });
  }

  #bindSender(channelId: string, sender: Endpoint): void {
    this.#senders.set(channelId, sender);
    for (const wake of this.#waiting.get(channelId) ?? []) wake(sender);
    this.#waiting.delete(channelId);
  }

  #senderOf(channelId: string, signal: AbortSignal): Promise<Endpoint> {
    const sender = this.#senders.get(channelId);
    if (sender !== undefined) return Promise.resolve(sender);
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('cancelled')));
      const list = this.#waiting.get(channelId) ?? [];
      list.push(resolve);
      this.#waiting.set(channelId, list);
    });
  }
}
