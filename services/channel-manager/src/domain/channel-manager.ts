import { InvalidArgument, NotFound } from '@lzy/errors';
import type { ChangeEvents } from '@lzy/events';
import type { Logger } from '@lzy/logging';
import { commonSlot } from '@lzy/proto';
import type { Authorize, BindingChange } from './binding-plan.ts';
import { channelIdFor, preferredSender } from './channel-rules.ts';
import type {
  BoundEndpoint,
  ChannelRecord,
  NewChannel,
  SlotDirection,
  SlotOwner,
} from './channel-rules.ts';

/** What the channel manager needs from its database (db/channel-store.ts). */
export interface ChannelStorePort {
  create(channel: NewChannel): Promise<string>;
  createMany(channels: readonly NewChannel[]): Promise<string[]>;
  destroy(where: { channelId: string } | { executionId: string }): Promise<string[]>;
  get(channelId: string): Promise<ChannelRecord | undefined>;
  list(executionId: string): Promise<ChannelRecord[]>;
  endpoint(slotUri: string): Promise<BoundEndpoint | undefined>;
  /** The endpoints bound to a channel, in binding order; none for an unknown channel. */
  endpointsOf(channelId: string): Promise<BoundEndpoint[]>;
  userOfSlot(slotUri: string): Promise<string | undefined>;
  /**
   * Applies the change as planBindings plans it, atomically. @returns the channels changed.
   * @throws as planBindings
   */
  changeBindings(change: BindingChange, authorize: Authorize): Promise<string[]>;
}

/** A slot to bind and who serves it (Bind's request, one entry of BindSlots). */
export interface SlotToBind {
  slot: commonSlot.SlotInstance | undefined;
  owner: SlotOwner;
}

/** Whether the worker serving a sender slot still has it (clients/sender-probe.ts). */
export interface SenderProbePort {
  /** true: the worker is gone or no longer serves the slot. Never throws. */
  isGone(slotUri: string, signal: AbortSignal): Promise<boolean>;
}

export interface ChannelManagerDeps {
  store: ChannelStorePort;
  /**
   * Checks each WORKER sender offered to a receiver; a gone one is unbound so the receiver
   * falls back to the PORTAL sender (the S3 copy). Absent: senders are never checked.
   */
  senderProbe?: SenderProbePort;
  /** Woken here after each change, and by pg NOTIFY for changes made by other instances. */
  events: ChangeEvents;
  log: Logger;
}

/**
 * Channels of executions and the slots bound to them (reference §6, gaps of §15 closed):
 * creation is idempotent, and a receiver learns its sender from `watchSender` by push instead
 * of the manager dialling each receiver's slots API.
 */
export class ChannelManager {
  readonly #store: ChannelStorePort;
  readonly #events: ChangeEvents;
  readonly #log: Logger;
  readonly #senderProbe: SenderProbePort | undefined;
  /** Probes in flight by sender slot URI: many receivers of one sender share one probe. */
  readonly #probes = new Map<string, Promise<void>>();
  readonly #stopping = new AbortController();

  constructor(deps: ChannelManagerDeps) {
    this.#store = deps.store;
    this.#senderProbe = deps.senderProbe;
    this.#events = deps.events;
    this.#log = deps.log.child({ component: 'channel-manager' });
  }

  /**
   * Idempotent on (executionId, channelName). @returns the channel id (see channelIdFor).
   * @throws InvalidArgument, AlreadyExists (same name, other spec).
   */
  async create(channel: Omit<NewChannel, 'channelId'>): Promise<string> {
    const channelId = channelIdFor(channel.executionId, channel.channelName);
    return this.#store.create({ ...channel, channelId });
  }

  /** create() for many channels in one transaction; ids in input order. */
  async createMany(channels: readonly Omit<NewChannel, 'channelId'>[]): Promise<string[]> {
    return this.#store.createMany(
      channels.map((channel) => ({
        ...channel,
        channelId: channelIdFor(channel.executionId, channel.channelName),
      })),
    );
  }

  /** Deletes one channel; its watchers end. Idempotent. */
  async destroy(channelId: string): Promise<void> {
    this.#changed(await this.#store.destroy({ channelId }));
  }

  /** Deletes every channel of the execution; their watchers end. Idempotent. */
  async destroyAll(executionId: string): Promise<void> {
    if (executionId === '') throw new InvalidArgument('execution_id is required');
    const ids = await this.#store.destroy({ executionId });
    this.#log.info({ executionId, channels: ids.length }, 'channels destroyed');
    this.#changed(ids);
  }

  /** @throws NotFound */
  async get(channelId: string): Promise<ChannelRecord> {
    const channel = await this.#store.get(channelId);
    if (channel === undefined) throw new NotFound(`channel ${channelId} does not exist`);
    return channel;
  }

  /**
   * The user of the channel `slotUri` is bound in; undefined if the slot is not bound (or its
   * channel is gone). For authorization: a VM may touch only its own user's slots.
   */
  userOfSlot(slotUri: string): Promise<string | undefined> {
    return this.#store.userOfSlot(slotUri);
  }

  list(executionId: string): Promise<ChannelRecord[]> {
    return this.#store.list(executionId);
  }

  /**
   * Binds an INPUT slot as receiver, an OUTPUT slot as sender. Idempotent on the slot URI.
   * `authorize` (undefined: a service, anything goes) is asked for the channel and, if the slot
   * is bound elsewhere, for that channel's user too.
   * @throws InvalidArgument, NotFound (channel), PermissionDenied (authorize), AlreadyExists,
   *   FailedPrecondition (invariants).
   */
  async bind(
    slot: commonSlot.SlotInstance | undefined,
    owner: SlotOwner,
    authorize: Authorize,
  ): Promise<void> {
    await this.bindSlots({ unbindSlotUris: [], binds: [{ slot, owner }] }, authorize);
  }

  /**
   * Idempotent: an unbound slot is fine. `authorize` is asked for the user of a bound slot.
   * @throws InvalidArgument, PermissionDenied (authorize)
   */
  async unbind(slotUri: string, authorize: Authorize): Promise<void> {
    await this.bindSlots({ unbindSlotUris: [slotUri], binds: [] }, authorize);
  }

  /**
   * unbind() of each of `unbindSlotUris`, then bind() of each of `binds`, all or nothing in one
   * transaction (the first entry refused refuses the whole change), one notification per channel
   * changed. Idempotent like bind() and unbind().
   * @throws as bind() and unbind(); InvalidArgument names the entry.
   */
  async bindSlots(
    change: { unbindSlotUris: readonly string[]; binds: readonly SlotToBind[] },
    authorize: Authorize,
  ): Promise<void> {
    const single = change.binds.length + change.unbindSlotUris.length === 1;
    const at = (what: string, i: number) => (single ? '' : `${what}[${i}].`);
    change.unbindSlotUris.forEach((slotUri, i) => {
      if (slotUri === '')
        throw new InvalidArgument(`${at('unbind_slot_uris', i)}slot_uri is required`);
    });
    const binds = change.binds.map(({ slot, owner }, i) => toEndpoint(slot, owner, at('binds', i)));
    const changed = await this.#store.changeBindings(
      { unbinds: change.unbindSlotUris, binds },
      authorize,
    );
    this.#changed(changed);
  }

  /**
   * Calls `onSender` with the receiver's preferred sender as soon as there is one and again each
   * time it changes; returns when the receiver is unbound, its channel destroyed, `signal`
   * aborts or the service stops.
   * @throws NotFound if `slotUri` is not bound as a receiver.
   */
  async watchSender(
    slotUri: string,
    signal: AbortSignal,
    onSender: (sender: BoundEndpoint) => Promise<void>,
  ): Promise<void> {
    const receiver = await this.#store.endpoint(slotUri);
    if (receiver?.direction !== 'INPUT')
      throw new NotFound(`slot ${slotUri} is not bound as a receiver; Bind it first`);
    const subscription = this.#events.subscribe(receiver.channelId);
    try {
      let current: string | undefined;
      do {
        // The endpoints alone (one statement per wake-up): a destroyed channel has none left.
        const endpoints = await this.#store.endpointsOf(receiver.channelId);
        if (!endpoints.some((e) => e.slotUri === slotUri && e.direction === 'INPUT')) return;
        const sender = preferredSender(endpoints, receiver);
        if (sender !== undefined && sender.slotUri !== current) {
          await onSender(sender);
          // Checked after the offer, not before: a live worker (the usual case) costs the
          // receiver nothing; a gone one is unbound within a connect attempt and the next
          // round offers the portal, while the receiver is still retrying its first read.
          if (sender.owner === 'WORKER') this.#checkSender(sender);
        }
        current = sender?.slotUri;
      } while (await subscription.next(signal));
    } finally {
      subscription.close();
    }
  }

  /** Ends the sender checks in flight (service stop). */
  close(): void {
    this.#stopping.abort();
  }

  #checkSender(sender: BoundEndpoint): void {
    const probe = this.#senderProbe;
    if (probe === undefined || this.#probes.has(sender.slotUri)) return;
    const check = (async () => {
      if (!(await probe.isGone(sender.slotUri, this.#stopping.signal))) return;
      const changed = await this.#store.changeBindings(
        { unbinds: [sender.slotUri], binds: [] },
        undefined,
      );
      this.#log.warn(
        { slotUri: sender.slotUri, channelId: sender.channelId, taskId: sender.taskId },
        'worker sender is gone; unbound, receivers fall back to the portal',
      );
      this.#changed(changed);
    })()
      .catch((err: unknown) => {
        this.#log.error({ err, slotUri: sender.slotUri }, 'cannot unbind a gone sender');
      })
      .finally(() => this.#probes.delete(sender.slotUri));
    this.#probes.set(sender.slotUri, check);
  }

  #changed(channelIds: string[]): void {
    for (const id of channelIds) this.#events.notify(id);
  }
}

/** @param at prefix naming the entry of a batch in messages, e.g. `binds[3].` */
function toEndpoint(slot: commonSlot.SlotInstance | undefined, owner: SlotOwner, at: string) {
  if (slot === undefined) throw new InvalidArgument(`${at}slot is required`);
  if (slot.slotUri === '') throw new InvalidArgument(`${at}slot.slotUri is required`);
  if (slot.channelId === '') throw new InvalidArgument(`${at}slot.channelId is required`);
  const endpoint: BoundEndpoint = {
    slotUri: slot.slotUri,
    channelId: slot.channelId,
    taskId: slot.taskId,
    direction: directionOf(slot, at),
    owner,
    slot,
  };
  return endpoint;
}

function directionOf(slot: commonSlot.SlotInstance, at: string): SlotDirection {
  const direction = slot.slot?.direction;
  if (direction === commonSlot.Slot_Direction.INPUT) return 'INPUT';
  if (direction === commonSlot.Slot_Direction.OUTPUT) return 'OUTPUT';
  throw new InvalidArgument(`${at}slot.slot.direction must be INPUT or OUTPUT`);
}
