import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';
import type { JsonObject, Operation, OperationErrorCode, PackedMessage } from './operation.ts';

/** The `operation` table as kysely sees it (schema: operation-migration.ts). */
export interface OperationTable {
  id: string;
  description: Generated<string>;
  created_by: string;
  created_at: Date;
  modified_at: Date;
  deadline: Date | null;
  idempotency_key: string | null;
  request_hash: string | null;
  meta_type: string | null;
  meta: Uint8Array | null;
  done: Generated<boolean>;
  response_type: string | null;
  response: Uint8Array | null;
  error_code: string | null;
  error_message: string | null;
  kind: string | null;
  step_index: Generated<number>;
  /** Written as a JSON string, read back parsed. */
  step_state: ColumnType<JsonObject, string | undefined, string>;
  lease_owner: string | null;
  lease_expires_at: Date | null;
}

/** Add to a service's kysely database interface: `interface Db extends OperationDatabase { … }`. */
export interface OperationDatabase {
  operation: OperationTable;
}

export type OperationDb = Kysely<OperationDatabase>;

/**
 * A service's database (or transaction) seen as just the operation table. Kysely's generics are
 * invariant, so `Kysely<ServiceDb>` needs this one cast even though ServiceDb has the table.
 */
export function asOperationDb<DB extends OperationDatabase>(db: Kysely<DB>): OperationDb {
  return db as unknown as OperationDb;
}
export type OperationRow = Selectable<OperationTable>;

/** pg hands bytea back as Buffer; accept any view and pass pg a Buffer over the same memory. */
export function toBytea(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function packed(typeName: string | null, value: Uint8Array | null): PackedMessage | undefined {
  if (typeName === null) return undefined;
  return { typeName, value: new Uint8Array(value ?? new Uint8Array()) };
}

export function toOperation(row: OperationRow): Operation {
  return {
    id: row.id,
    description: row.description,
    createdBy: row.created_by,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    deadline: row.deadline ?? undefined,
    done: row.done,
    meta: packed(row.meta_type, row.meta),
    response: packed(row.response_type, row.response),
    error:
      row.error_code === null
        ? undefined
        : { code: row.error_code as OperationErrorCode, message: row.error_message ?? '' },
  };
}
