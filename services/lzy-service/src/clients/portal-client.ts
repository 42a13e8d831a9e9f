import { DeadlineExceeded, Unavailable } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { commonSlot, portal } from '@lzy/proto';
import type { operations } from '@lzy/proto';
import type {
  PortalPort,
  PortalSlotUpdate,
  PortalSnapshotSlot,
  SnapshotState,
  StdChunk,
} from '../domain/ports.ts';
import { awaitOperation } from './await-operation.ts';

/** The two stubs of one portal (PortalService and its OperationsService, same port). */
export interface PortalStubs {
  portal: portal.PortalServiceClient;
  operations: operations.OperationsServiceClient;
}

function snapshotStateOf(status: portal.SnapshotStatus): SnapshotState {
  if (status === portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED) return 'SYNCED';
  if (status === portal.SnapshotStatus.SNAPSHOT_STATUS_FAILED) return 'FAILED';
  return 'PENDING';
}

/** The portal's wire form of a snapshot slot. */
export function toPortalSlotDesc(slot: PortalSnapshotSlot): portal.PortalSlotDesc {
  const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
  return {
    slot: {
      name: slot.slotName,
      media: commonSlot.Slot_Media.FILE,
      direction: slot.kind === 'receiver' ? INPUT : OUTPUT,
      contentType: undefined,
    },
    channelId: slot.channelId,
    kind: { $case: 'snapshot', value: { storageConfig: slot.storage } },
    storageUri: slot.storageUri,
  };
}

/** PortalPort over lzy.internal.portal.v1; `stubsFor` gives (cached) stubs per portal address. */
export class PortalClient implements PortalPort {
  readonly #stubsFor: (address: string) => PortalStubs;

  constructor(deps: { stubsFor: (address: string) => PortalStubs }) {
    this.#stubsFor = deps.stubsFor;
  }

  async openSlots(address: string, slots: PortalSnapshotSlot[]): Promise<void> {
    const c = this.#stubsFor(address).portal;
    await unaryCall(c.openSlots.bind(c), { slots: slots.map(toPortalSlotDesc) });
  }

  async *watchSlots(
    address: string,
    slotNames: string[],
    signal: AbortSignal,
  ): AsyncGenerator<PortalSlotUpdate, void, undefined> {
    const c = this.#stubsFor(address).portal;
    for await (const message of serverStream(c.watchSlots.bind(c), { slotNames }, { signal })) {
      if (message.slot === undefined) continue;
      yield {
        slotName: message.slot.slotName,
        state: snapshotStateOf(message.slot.snapshotStatus),
        description: message.slot.description,
      };
    }
  }

  async *readStd(
    address: string,
    fromSeq: number,
    signal: AbortSignal,
  ): AsyncGenerator<StdChunk, void, undefined> {
    const c = this.#stubsFor(address).portal;
    for await (const message of serverStream(c.readStd.bind(c), { fromSeq }, { signal })) {
      const stream = message.stream === portal.StdStream.STD_STREAM_STDERR ? 'stderr' : 'stdout';
      yield { seq: message.seq, stream, data: message.data };
    }
  }

  async finish(address: string, timeoutMs: number): Promise<void> {
    const stubs = this.#stubsFor(address);
    const c = stubs.portal;
    // Teardown finishes the portal only after it stopped every graph (ExecutionTeardown).
    const op = await unaryCall(
      c.finish.bind(c),
      { producersDone: true },
      { deadlineMs: 10_000 },
    ).catch((err: unknown) => {
      // No answer to the call itself: the portal is unreachable (DeadlineExceeded is kept for
      // a portal that did not finish in time).
      throw err instanceof DeadlineExceeded
        ? new Unavailable('the portal does not answer', { cause: err })
        : err;
    });
    await awaitOperation(stubs.operations, op, portal.FinishResponse, timeoutMs, 'Portal finish');
  }

  async stop(address: string): Promise<void> {
    const c = this.#stubsFor(address).portal;
    await unaryCall(c.stop.bind(c), {}, { deadlineMs: 10_000 }).catch((err: unknown) => {
      throw err instanceof DeadlineExceeded
        ? new Unavailable('the portal does not answer', { cause: err })
        : err;
    });
  }
}
