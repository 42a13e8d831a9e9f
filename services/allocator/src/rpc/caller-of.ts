import { INTERNAL_SUBJECT_ID, requireInternalCaller } from '@lzy/grpc';
import type { CallContext } from '@lzy/grpc';
import type { Caller } from '../domain/caller.ts';

/**
 * The caller of an internal-only RPC (services or VMs; others get PermissionDenied).
 * @throws PermissionDenied
 */
export function internalCaller(ctx: CallContext): Caller {
  requireInternalCaller(ctx);
  const subjectId = ctx.subject?.id ?? '';
  return { subjectId, isInternal: subjectId === INTERNAL_SUBJECT_ID };
}
