import type { ColumnType } from 'kysely';
import type { OperationDatabase } from '@lzy/operations';

export type ExecutionStatus = 'RUN' | 'ERROR' | 'COMPLETING' | 'COMPLETED';

export interface ExecutionTable {
  execution_id: string;
  user_id: string;
  workflow_name: string;
  status: ExecutionStatus;
  internal_storage: boolean;
  /** `{ uri, sealed }`: credentials sealed by ExecutionStore (legacy rows: protobuf-JSON). */
  storage_config: ColumnType<unknown, string, string>;
  allocator_session_id: string | null;
  portal_vm_id: string | null;
  portal_address: string | null;
  finish_operation_id: string | null;
  finish_reason: string | null;
  created_at: Date;
  finished_at: Date | null;
  /** The last call of the execution's client (written at most once per flush interval). */
  last_activity_at: Date;
}

export interface WorkflowTable {
  user_id: string;
  workflow_name: string;
  active_execution_id: string | null;
  created_at: Date;
  modified_at: Date;
}

export interface GraphTable {
  execution_id: string;
  graph_id: string;
  request_hash: string;
  submitted: ColumnType<boolean, boolean | undefined, boolean>;
  output_slots: string[];
  /** JSON of the domain GraphView, written on every change. */
  view: ColumnType<unknown, string | null, string>;
  created_at: Date;
}

export interface SnapshotTable {
  storage_uri: string;
  execution_id: string;
  graph_id: string;
}

export interface LzyServiceDb extends OperationDatabase {
  execution: ExecutionTable;
  workflow: WorkflowTable;
  graph: GraphTable;
  snapshot: SnapshotTable;
}
