import { implement, requireServiceCaller, requireServiceOrVmOf } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import type { InMemoryOperations as LocalOperations, OperationError } from '@lzy/operations';
import { packMessage, toProtoOperation } from '@lzy/operations';
import { portal } from '@lzy/proto';
import { isDomainError } from '@lzy/errors';
import type { Portal } from '../domain/portal.ts';
import type { SlotStatusView } from '../domain/slot-status.ts';
import {
  fromProtoStdStream,
  toOpenSlotSpec,
  toProtoSlotState,
  toProtoSnapshotStatus,
  toProtoStdStream,
} from './slot-desc.ts';

function toProtoStatus(status: SlotStatusView): portal.PortalSlotStatus {
  return {
    slotName: status.slotName,
    state: toProtoSlotState(status.state),
    snapshotStatus: toProtoSnapshotStatus(status.snapshotStatus),
    description: status.description,
  };
}

function operationErrorOf(err: unknown): OperationError {
  if (isDomainError(err)) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'finishing the portal failed' };
}

/**
 * lzy.internal.portal.v1.PortalService: the services only (lzy-service, the site), except
 * WriteStd, which workers of the portal's own user (`ownerUserId`) call. `onStop` runs after Stop has answered (main.ts: the process exits).
 */
export function portalService(deps: {
  portal: Portal;
  operations: LocalOperations;
  onStop: () => void;
  /** The user this portal works for (LZY_VM_OWNER_USER_ID); undefined: no VM may WriteStd. */
  ownerUserId: string | undefined;
}): ServiceRegistration {
  const { portal: p, operations: ops } = deps;
  let finishOperationId: string | undefined;
  return implement(portal.PortalServiceService, {
    openSlots: async (request, ctx) => {
      requireServiceCaller(ctx);
      const specs = request.slots.map(toOpenSlotSpec);
      await p.openSlots(specs);
      ctx.log.info({ slots: specs.map((s) => s.name) }, 'slots opened');
      return {};
    },
    getSlotsStatus: (request, ctx) => {
      requireServiceCaller(ctx);
      return Promise.resolve({ slots: p.statuses(request.slotNames).map(toProtoStatus) });
    },
    watchSlots: async (request, ctx, send) => {
      requireServiceCaller(ctx);
      for await (const status of p.slots.watch(request.slotNames, ctx.signal))
        await send({ slot: toProtoStatus(status) });
    },
    finish: (request, ctx) => {
      requireServiceCaller(ctx);
      if (finishOperationId === undefined) {
        const op = ops.start(
          'finish portal',
          ctx.subject?.id ?? '',
          async () => {
            await p.finish({ producersDone: request.producersDone });
            return packMessage(portal.FinishResponse, {});
          },
          operationErrorOf,
        );
        finishOperationId = op.id;
        ctx.log.info({ operationId: op.id }, 'portal finishing');
      }
      return Promise.resolve(toProtoOperation(ops.get(finishOperationId)));
    },
    stop: (_request, ctx) => {
      requireServiceCaller(ctx);
      p.stop();
      ctx.log.info('portal stopped');
      setImmediate(deps.onStop);
      return Promise.resolve({});
    },
    readStd: async (request, ctx, send) => {
      requireServiceCaller(ctx);
      for await (const entry of p.std.read(request.fromSeq, ctx.signal))
        await send({
          seq: entry.seq,
          taskId: entry.taskId,
          stream: toProtoStdStream(entry.stream),
          data: entry.text,
        });
    },
    writeStd: async (requests, ctx) => {
      requireServiceOrVmOf(ctx, deps.ownerUserId, 'the std streams of this portal');
      const writer = p.std.openWriter();
      try {
        for await (const request of requests)
          writer.write(request.taskId, fromProtoStdStream(request.stream), request.data);
      } finally {
        writer.end();
      }
      return {};
    },
  });
}
