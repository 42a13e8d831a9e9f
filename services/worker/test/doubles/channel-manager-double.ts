import { FailedPrecondition, NotFound } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { channelManager } from '@lzy/proto';
import type { commonSlot } from '@lzy/proto';

interface Bound {
  slot: commonSlot.SlotInstance;
  owner: channelManager.SlotOwner;
}

/**
 * Test double of lzy.internal.channel_manager.v1 (our own port) over real gRPC: Bind/Unbind/
 * WatchSender in memory. A slot binds as sender when OUTPUT, receiver when INPUT; WatchSender
 * pushes the channel's sender as soon as there is one and ends when the receiver is unbound.
 */
export class ChannelManagerDouble {
  readonly bound = new Map<string, Bound>();
  /** Every Bind / Unbind in call order, e.g. `bind /c1/a`, for assertions. */
  readonly calls: string[] = [];
  #waiters: Array<() => void> = [];
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
            getChannelStatus: 'unimplemented',
            listChannels: 'unimplemented',
            bindSlots: 'unimplemented',
            bind: (request) => {
              const slot = request.slot;
              if (slot === undefined) throw new FailedPrecondition('no slot');
              this.bound.set(slot.slotUri, { slot, owner: request.owner });
              this.calls.push(`bind ${slot.slot?.name ?? ''}`);
              this.#notify();
              return Promise.resolve({});
            },
            unbind: (request) => {
              const name = this.bound.get(request.slotUri)?.slot.slot?.name ?? request.slotUri;
              this.bound.delete(request.slotUri);
              this.calls.push(`unbind ${name}`);
              this.#notify();
              return Promise.resolve({});
            },
            watchSender: async (request, ctx, send) => {
              const receiver = this.bound.get(request.slotUri);
              if (receiver === undefined) throw new NotFound(`${request.slotUri} is not bound`);
              let sent: string | undefined;
              for (;;) {
                const changed = new Promise<void>((resolve) => this.#waiters.push(resolve));
                if (!this.bound.has(request.slotUri) || ctx.signal.aborted) return;
                const sender = this.senderOf(receiver.slot.channelId);
                if (sender !== undefined && sender.slot.slotUri !== sent) {
                  sent = sender.slot.slotUri;
                  await send({ sender });
                }
                await changed;
              }
            },
          },
          { auth: 'none' },
        ),
      ],
    });
    return `127.0.0.1:${this.#server.port}`;
  }

  /** The bound OUTPUT slot of a channel. */
  senderOf(channelId: string): Bound | undefined {
    return [...this.bound.values()].find(
      (b) => b.slot.channelId === channelId && b.slot.slot?.direction === 2,
    );
  }

  /** Binds a sender slot served elsewhere (e.g. by another worker). */
  bindSender(slot: commonSlot.SlotInstance): void {
    this.bound.set(slot.slotUri, { slot, owner: channelManager.SlotOwner.SLOT_OWNER_WORKER });
    this.#notify();
  }

  async stop(): Promise<void> {
    this.bound.clear();
    this.#notify();
    await this.#server?.stop();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
