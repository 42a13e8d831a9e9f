import type { ColumnType, Generated } from 'kysely';

export interface AllocatorSessionTable {
  owner: string;
  session_id: string;
  created_at: Date;
}

export interface TaskTable {
  task_id: string;
  seq: ColumnType<string, never, never>;
  execution_id: string;
  workflow_name: string;
  user_id: string;
  operation_name: string;
  pool_label: string;
  zone: string;
  task_desc: Uint8Array;
  portal_address: string;
  request_hash: string;
  state: string;
  rc: Generated<number>;
  description: Generated<string>;
  allocate_operation_id: string | null;
  vm_id: string | null;
  vm_address: string | null;
  vm_released: Generated<boolean>;
  version: Generated<number>;
  created_at: Date;
  updated_at: Date;
}

/** The scheduler database as kysely sees it. */
export interface SchedulerDatabase {
  allocator_session: AllocatorSessionTable;
  task: TaskTable;
}
