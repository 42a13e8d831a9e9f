import { implement, requireServiceOrVmOf } from '@lzy/grpc';
import type { CallContext } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { allocReadSlotChunk, commonSlot, fastSlotsServiceDefinition } from '@lzy/proto';
import type { SlotState } from '../domain/slot-table.ts';
import { uploadSlot } from '../domain/slot-upload.ts';
import type { SlotUploadDeps } from '../domain/slot-upload.ts';

const STATES: Record<SlotState, commonSlot.SlotStatus_State> = {
  PREPARING: commonSlot.SlotStatus_State.PREPARING,
  OPEN: commonSlot.SlotStatus_State.OPEN,
  DESTROYED: commonSlot.SlotStatus_State.DESTROYED,
};

/**
 * lzy.internal.slots.v1.SlotsService over the worker's slot table (slots.proto). Callers: the
 * services, or a VM (another worker, the portal) of the user this worker works for: an op of
 * another user must not read this user's outputs.
 */
export function slotsService(
  deps: SlotUploadDeps & {
    /** The user this worker works for (Init); undefined before Init. */
    userOf: () => string | undefined;
  },
): ServiceRegistration {
  const { userOf, ...uploadDeps } = deps;
  const table = deps.slots;
  const guard = (ctx: CallContext) =>
    requireServiceOrVmOf(ctx, userOf(), 'the slots of this worker');
  return implement(fastSlotsServiceDefinition, {
    readSlot: async (request, ctx, send) => {
      guard(ctx);
      // Chunks with headroom: the serializer writes the header in place, the data is not copied.
      const events = table.read(request.slotUri, request.offset, allocReadSlotChunk);
      for await (const event of events) {
        if (event.kind === 'chunk')
          await send({
            event: { $case: 'chunk', value: { offset: event.offset, data: event.data } },
          });
        else await send({ event: { $case: 'eos', value: { sizeBytes: event.sizeBytes } } });
      }
    },
    uploadSlot: async (request, ctx, send) => {
      guard(ctx);
      await uploadSlot(
        { ...uploadDeps, log: deps.log.child({ slotUri: request.slotUri }) },
        request,
        (stored) => send(stored),
        ctx.signal,
      );
    },
    getSlotStatus: (request, ctx) => {
      guard(ctx);
      const record = table.get(request.slotUri);
      return Promise.resolve({
        status: {
          taskId: record.taskId,
          declaration: record.slot,
          connectedTo: record.connectedTo,
          pointer: record.pointer,
          state: STATES[record.state],
        },
      });
    },
  });
}
