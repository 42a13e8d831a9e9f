import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Aborted } from '@lzy/errors';
import { once } from 'node:events';
import type { Logger } from '@lzy/logging';
import type {
  ChannelManagerPort,
  SlotChunk,
  SlotReaderPort,
  SnapshotLocation,
  SnapshotStoragePort,
} from './ports.ts';
import { receiveSnapshot } from './snapshot-receiver.ts';
import { SlotTable } from './slot-table.ts';
import type { SlotStatusView } from './slot-status.ts';
import { StdLog } from './std-log.ts';
import { checkOpenSlots } from './open-slot-checks.ts';
import type { OpenSlotSpec } from './open-slot-checks.ts';

interface Opened {
  spec: OpenSlotSpec;
  slotUri: string;
  /** INPUT snapshots: settles when SYNCED or FAILED. */
  done?: Promise<void>;
  /** INPUT snapshots: gives up waiting for a sender (Finish, when no producer will come). */
  abandon?: AbortController;
}

const MAX_CHUNK_BYTES = 1024 * 1024;

export interface PortalDeps {
  channels: ChannelManagerPort;
  reader: SlotReaderPort;
  storage: SnapshotStoragePort;
  /** `slot://<host:port>/portal/<slotName>` of this portal. */
  slotUriOf: (slotName: string) => string;
  log: Logger;
  stdBufferBytes: number;
  /** How long Finish waits for open WriteStd streams once the snapshots are terminal. */
  finishStdGraceMs: number;
}

/**
 * One execution's portal (reference §8): INPUT snapshot slots persist task outputs to storage,
 * OUTPUT snapshot slots serve stored objects through ReadSlot, and the std log aggregates task
 * output. State is in memory; Finish drains, Stop aborts.
 */
export class Portal {
  readonly slots = new SlotTable();
  readonly std: StdLog;
  readonly #deps: PortalDeps;
  readonly #opened = new Map<string, Opened>();
  /** Slot URIs an OpenSlots in progress is opening, with that call's work. */
  readonly #opening = new Map<string, Promise<void>>();
  readonly #stopped = new AbortController();
  #finishing: Promise<void> | undefined;

  constructor(deps: PortalDeps) {
    this.#deps = deps;
    this.std = new StdLog({ maxBytes: deps.stdBufferBytes });
  }

  /**
   * Opens and binds the slots (portal.proto OpenSlots). Idempotent per name; every slot is
   * checked, then the snapshot slots not open yet are bound in one BindSlots call (all or
   * nothing), then opened: receivers start waiting for their sender. A ReadSlot of one of them
   * meanwhile waits for this call instead of failing (lzy-service submits the graph at once, so
   * a task may come for its stored input before the portal opened it).
   * @throws AlreadyExists for a name reused with another description; FailedPrecondition after
   *   Finish/Stop, for an INPUT snapshot whose object already exists (write-once) or an OUTPUT
   *   snapshot whose object does not; the channel manager's refusal of a binding.
   */
  async openSlots(specs: readonly OpenSlotSpec[]): Promise<void> {
    this.#checkAccepting();
    const fresh = new Map<string, OpenSlotSpec>();
    for (const spec of specs) {
      const known = this.#opened.get(spec.name)?.spec ?? fresh.get(spec.name);
      if (known === undefined) fresh.set(spec.name, spec);
      else if (known.fingerprint !== spec.fingerprint)
        throw new AlreadyExists(
          `portal slot ${spec.name} is already open with another description`,
        );
    }
    const opening = this.#openFresh([...fresh.values()]);
    const slotUris = [...fresh.keys()].map((name) => this.#deps.slotUriOf(name));
    for (const slotUri of slotUris)
      if (!this.#opening.has(slotUri)) this.#opening.set(slotUri, opening);
    try {
      await opening;
    } finally {
      for (const slotUri of slotUris)
        if (this.#opening.get(slotUri) === opening) this.#opening.delete(slotUri);
    }
  }

  async #openFresh(fresh: readonly OpenSlotSpec[]): Promise<void> {
    const opened = [...this.#opened.values()].map((o) => o.spec);
    await checkOpenSlots(fresh, opened, this.#deps.storage);
    this.#checkAccepting();
    // Bound before opened: a failed bind leaves the slots unknown, so a repeated OpenSlots binds
    // them again (an opened slot is never bound again: a synced receiver is a sender by then).
    const snapshots = fresh.filter((spec) => spec.kind.type === 'snapshot');
    if (snapshots.length > 0)
      await this.#deps.channels.bindSlots(
        { bind: snapshots.map((spec) => this.#bindingOf(spec)) },
        this.#stopped.signal,
      );
    this.#checkAccepting();
    for (const spec of fresh) if (!this.#opened.has(spec.name)) this.#open(spec);
  }

  /** Statuses of `names` (empty: all). @throws NotFound for an unknown name. */
  statuses(names: readonly string[]): SlotStatusView[] {
    return this.slots.list(names);
  }

  /** Status of the slot this portal serves at `slotUri`. @throws NotFound if none. */
  statusBySlotUri(slotUri: string): SlotStatusView {
    const opened = [...this.#opened.values()].find((o) => o.slotUri === slotUri);
    if (opened === undefined) throw new NotFound(`no portal slot ${slotUri}`);
    return this.slots.list([opened.spec.name])[0] as SlotStatusView;
  }

  /**
   * Serves an OUTPUT snapshot slot from storage (SlotsService.ReadSlot): waits while this portal
   * is still receiving the same object, then chunks from `offset`, returning the size.
   * @throws NotFound for an unknown slot; InvalidArgument for an offset past the end; Aborted if
   *   the object could not be stored.
   */
  async *readSlot(
    slotUri: string,
    offset: number,
    signal: AbortSignal,
  ): AsyncGenerator<SlotChunk, number> {
    const opened = await this.#openedAt(slotUri, signal);
    const kind = opened?.spec.kind;
    // A received snapshot is served too once SYNCED (snapshot-receiver binds it as a sender).
    const isServed =
      kind?.type === 'snapshot' &&
      (kind.direction === 'OUTPUT' ||
        this.slots.get(opened?.spec.name ?? '')?.snapshotStatus === 'SYNCED');
    if (kind?.type !== 'snapshot' || !isServed)
      throw new NotFound(`no readable portal slot ${slotUri}`);
    await this.#waitForLocalCopy(kind.location, signal);
    const size = await this.#deps.storage.sizeOf(kind.location);
    if (size === undefined) throw new Aborted(`${kind.location.uri} is not in storage`);
    if (offset > size)
      throw new InvalidArgument(`offset ${offset} is past the end (${size} bytes)`);
    if (offset === size) return size;
    let position = offset;
    const body = await this.#deps.storage.get(kind.location, offset);
    try {
      for await (const piece of body as AsyncIterable<Buffer>) {
        for (let at = 0; at < piece.byteLength; at += MAX_CHUNK_BYTES) {
          const data = piece.subarray(at, at + MAX_CHUNK_BYTES);
          yield { offset: position, data };
          position += data.byteLength;
        }
      }
    } finally {
      body.destroy();
    }
    return size;
  }

  /**
   * Stops accepting slots, waits for every INPUT snapshot to be SYNCED or FAILED and for the
   * workers' std streams to end (up to finishStdGraceMs), then ends the ReadStd streams. With
   * `producersDone` (every graph ended), snapshots without a bound sender are abandoned at once.
   * Idempotent: the same promise.
   */
  finish(options: { producersDone: boolean } = { producersDone: false }): Promise<void> {
    return (this.#finishing ??= this.#finish(options.producersDone));
  }

  /** Aborts every transfer, fails what is unfinished, ends the std streams. Idempotent. */
  stop(): void {
    this.#finishing ??= Promise.resolve();
    this.#stopped.abort(new Aborted('the portal was stopped'));
    this.std.close();
    this.#closeStdSlots();
  }

  get finishing(): boolean {
    return this.#finishing !== undefined;
  }

  async #finish(producersDone: boolean): Promise<void> {
    if (producersDone) await this.#abandonUnproduced();
    // Finish comes after the graphs stopped, so a snapshot still waiting for its sender after the
    // grace period will never get one (its op failed or was stopped): give up on it rather than
    // hang the workflow's finish forever. The grace covers a sender bound just before Finish.
    const receiving = [...this.#opened.values()].flatMap((o) => (o.done ? [o.done] : []));
    const waitingForSenders = AbortSignal.any([
      AbortSignal.timeout(this.#deps.finishStdGraceMs),
      this.#stopped.signal,
    ]);
    await Promise.race([Promise.all(receiving), once(waitingForSenders, 'abort')]);
    for (const opened of this.#opened.values()) {
      if (this.slots.get(opened.spec.name)?.snapshotStatus === 'INITIALIZING')
        opened.abandon?.abort(new Aborted('no op produced it before the workflow finished'));
    }
    await Promise.all(receiving);
    const grace = AbortSignal.any([
      AbortSignal.timeout(this.#deps.finishStdGraceMs),
      this.#stopped.signal,
    ]);
    await this.std.waitWritersDone(grace).catch(() => {
      this.#deps.log.warn(
        { openWriters: this.std.openWriters },
        'std streams still open at finish',
      );
    });
    this.std.close();
    this.#closeStdSlots();
  }

  /**
   * Producers bind their outputs before they report success, so once every graph ended a
   * snapshot whose channel has no sender will never get one: abandon it now. A check that fails
   * leaves the snapshot to the grace period.
   */
  async #abandonUnproduced(): Promise<void> {
    const pending = [...this.#opened.values()].filter(
      (o) =>
        o.abandon !== undefined && this.slots.get(o.spec.name)?.snapshotStatus === 'INITIALIZING',
    );
    await Promise.all(
      pending.map(async (opened) => {
        const produced = await this.#deps.channels
          .hasSender(opened.spec.channelId)
          .catch(() => true);
        if (!produced)
          opened.abandon?.abort(new Aborted('no op produced it before the workflow finished'));
      }),
    );
  }

  #closeStdSlots(): void {
    for (const { spec } of this.#opened.values())
      if (spec.kind.type === 'std') this.slots.update(spec.name, { state: 'CLOSED' });
  }

  #checkAccepting(): void {
    if (this.#finishing !== undefined)
      throw new FailedPrecondition('the portal is finishing: it accepts no more slots');
  }

  #open(spec: OpenSlotSpec): void {
    const slotUri = this.#deps.slotUriOf(spec.name);
    const opened: Opened = { spec, slotUri };
    this.#opened.set(spec.name, opened);
    const { kind } = spec;
    if (kind.type === 'std') {
      this.slots.set({
        slotName: spec.name,
        state: 'OPEN',
        snapshotStatus: 'NOT_IN_SNAPSHOT',
        description: '',
      });
      return;
    }
    if (kind.direction === 'OUTPUT') {
      this.slots.set({
        slotName: spec.name,
        state: 'OPEN',
        snapshotStatus: 'SYNCED',
        description: '',
      });
      return;
    }
    this.slots.set({
      slotName: spec.name,
      state: 'UNBOUND',
      snapshotStatus: 'INITIALIZING',
      description: '',
    });
    const log = this.#deps.log.child({ component: 'snapshot' });
    opened.abandon = new AbortController();
    opened.done = receiveSnapshot(
      this.#bindingOf(spec),
      kind.location,
      { ...this.#deps, slots: this.slots, log },
      AbortSignal.any([this.#stopped.signal, opened.abandon.signal]),
    );
  }

  #bindingOf(spec: OpenSlotSpec) {
    const direction = spec.kind.type === 'snapshot' ? spec.kind.direction : 'INPUT';
    return {
      slotUri: this.#deps.slotUriOf(spec.name),
      channelId: spec.channelId,
      slotName: spec.name,
      direction,
    } as const;
  }

  /** The slot at `slotUri`, once an OpenSlots opening it now is done; undefined if none. */
  async #openedAt(slotUri: string, signal: AbortSignal): Promise<Opened | undefined> {
    const find = () => [...this.#opened.values()].find((o) => o.slotUri === slotUri);
    const opening = find() === undefined ? this.#opening.get(slotUri) : undefined;
    if (opening !== undefined) {
      const aborted = once(signal, 'abort');
      await Promise.race([opening.catch(() => undefined), aborted]);
      signal.throwIfAborted();
    }
    return find();
  }

  async #waitForLocalCopy(location: SnapshotLocation, signal: AbortSignal): Promise<void> {
    const receiver = [...this.#opened.values()].find(
      (o) =>
        o.done !== undefined &&
        o.spec.kind.type === 'snapshot' &&
        o.spec.kind.location.uri === location.uri,
    );
    if (receiver === undefined) return;
    await this.slots.waitTerminal(
      [receiver.spec.name],
      AbortSignal.any([signal, this.#stopped.signal]),
    );
    const status = this.slots.get(receiver.spec.name);
    if (status?.snapshotStatus !== 'SYNCED')
      throw new Aborted(`${location.uri} could not be stored: ${status?.description ?? ''}`);
  }
}
