import { implement, requireServiceOrVmOf } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { slots } from '@lzy/proto';
import type { Portal } from '../domain/portal.ts';
import { toProtoSlotState } from './slot-desc.ts';

/**
 * lzy.internal.slots.v1.SlotsService of the portal: workers read stored inputs (OUTPUT snapshot
 * slots). Authenticated: the services, or VMs of the user this portal works for
 * (`ownerUserId`; undefined: no VM). LZY's portal slots server was NO_AUTH: a gap.
 */
export function slotsService(portal: Portal, ownerUserId: string | undefined): ServiceRegistration {
  return implement(slots.SlotsServiceService, {
    readSlot: async (request, ctx, send) => {
      requireServiceOrVmOf(ctx, ownerUserId, 'the slots of this portal');
      const chunks = portal.readSlot(request.slotUri, request.offset, ctx.signal);
      for (let r = await chunks.next(); ; r = await chunks.next()) {
        if (r.done === true) {
          await send({ event: { $case: 'eos', value: { sizeBytes: r.value } } });
          return;
        }
        await send({
          event: {
            $case: 'chunk',
            value: {
              offset: r.value.offset,
              data: Buffer.from(
                r.value.data.buffer,
                r.value.data.byteOffset,
                r.value.data.byteLength,
              ),
            },
          },
        });
      }
    },
    // A portal's slots are in storage already: nothing for another portal to copy.
    uploadSlot: 'unimplemented',
    getSlotStatus: (request, ctx) => {
      requireServiceOrVmOf(ctx, ownerUserId, 'the slots of this portal');
      const status = portal.statusBySlotUri(request.slotUri);
      return Promise.resolve({
        status: {
          taskId: 'portal',
          connectedTo: '',
          pointer: 0,
          state: toProtoSlotState(status.state),
        },
      });
    },
  });
}
