import { NotFound } from '@lzy/errors';
import type { Subject } from '@lzy/grpc';
import type { Operation } from '../operation.ts';
import type { OperationDatabase } from '../operation-row.ts';
import type { OperationStore } from '../operation-store.ts';

/**
 * Who may see an operation over gRPC. Default: only the subject that created it
 * (`created_by`), as public-api §7.1 asks (Java did not check).
 */
export type CanAccessOperation = (subject: Subject | undefined, operation: Operation) => boolean;

export interface OperationServiceDeps<DB extends OperationDatabase = OperationDatabase> {
  readonly store: OperationStore<DB>;
  /** Default: only the creating subject (others get NOT_FOUND). */
  readonly canAccess?: CanAccessOperation;
}

export const onlyCreator: CanAccessOperation = (subject, op) => subject?.id === op.createdBy;

/**
 * Loads `id` for `subject`. An operation the caller may not see answers NOT_FOUND, exactly like
 * an unknown one, so ids of other subjects' operations cannot be probed.
 * @throws NotFound
 */
export async function getVisibleOperation<DB extends OperationDatabase>(
  store: OperationStore<DB>,
  canAccess: CanAccessOperation,
  subject: Subject | undefined,
  id: string,
): Promise<Operation> {
  const op = await store.get(id);
  if (!canAccess(subject, op)) throw new NotFound(`Operation ${id} not found`);
  return op;
}
