import { INTERNAL_SUBJECT_ID, requireServiceCaller } from '@lzy/grpc';
import type { CallContext } from '@lzy/grpc';
import type { Caller } from '../domain/caller.ts';

/**
 * The caller of an AllocatorService RPC: the services only. VMs (whose keys an op can read) and
 * users get PermissionDenied; a VM's own Register/Heartbeat go through AllocatorPrivateService.
 * @throws PermissionDenied
 */
export function internalCaller(ctx: CallContext): Caller {
  requireServiceCaller(ctx);
  const subjectId = ctx.subject?.id ?? '';
  return { subjectId, isInternal: subjectId === INTERNAL_SUBJECT_ID };
}
