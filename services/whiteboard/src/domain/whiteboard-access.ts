import type { Subject } from '@lzy/grpc';

/**
 * Who may do what with a whiteboard. In production iam decides (iam/iam-whiteboard-access.ts):
 * resource `whiteboard`/<id>, role `lzy.whiteboard.owner` for the registering user.
 */
export interface WhiteboardAccess {
  /**
   * Makes `subject` the owner of the whiteboard. Idempotent.
   * @throws the DomainError iam answered with (Unavailable when unreachable)
   */
  grantOwner(whiteboardId: string, subject: Subject): Promise<void>;
  /** True if `subject` may read it; false on a refusal; throws when iam cannot answer. */
  canRead(subject: Subject, whiteboardId: string): Promise<boolean>;
  /** True if `subject` may update it; false on a refusal; throws when iam cannot answer. */
  canUpdate(subject: Subject, whiteboardId: string): Promise<boolean>;
}
