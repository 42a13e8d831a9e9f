import { PermissionDenied } from '@lzy/errors';
import type { Session } from './vm.ts';

/** The authenticated subject of a call, as the domain sees it. */
export interface Caller {
  readonly subjectId: string;
  /** The services' shared internal identity (`lzy-internal`). */
  readonly isInternal: boolean;
}

/**
 * Only the subject that created a session, or the internal identity, may allocate in it, free its
 * VMs or delete it (reference §15: LZY's Free did not check the caller).
 * @throws PermissionDenied
 */
export function assertSessionAccess(caller: Caller, session: Session): void {
  if (caller.isInternal || caller.subjectId === session.createdBy) return;
  throw new PermissionDenied(`Session ${session.id} belongs to another subject`);
}
