import type { ColumnType } from 'kysely';
import type { OperationDatabase } from '@lzy/operations';

/** bigint comes back from pg as a string; we write numbers. */
type Int8 = ColumnType<string, number, number>;
/** jsonb: written as a JSON string, read back parsed. */
type Json<T> = ColumnType<T, string, string>;

export interface SessionTable {
  id: string;
  owner: string;
  /** 0004_session_owner_user: the user the session's VMs work for; '' if none. */
  owner_user_id: ColumnType<string, string | undefined, string>;
  description: string;
  idle_timeout_ms: Int8;
  created_by: string;
  created_at: Date;
}

export interface VmTable {
  id: string;
  session_id: string;
  pool_label: string;
  zone: string;
  cluster_type: string;
  spec_key: string;
  status: string;
  allocation_op_id: string;
  allocation_deadline: Date;
  ott_sha256: string;
  owner_instance: string;
  pid: number | null;
  endpoints: Json<{ type: string; value: string }[]>;
  metadata: Json<Record<string, string>>;
  heartbeat_deadline: Date | null;
  idle_deadline: Date | null;
  delete_reason: string | null;
  created_at: Date;
  status_changed_at: Date;
}

/** The allocator's database as kysely sees it (migrations/). */
export interface AllocatorDatabase extends OperationDatabase {
  session: SessionTable;
  vm: VmTable;
}
