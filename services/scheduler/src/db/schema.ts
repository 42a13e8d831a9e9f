import type { ColumnType, Generated } from 'kysely';

export interface AllocatorSessionTable {
  owner: string;
  session_id: string;
  created_at: Date;
}

export interface TaskTable {
  task_id: string;
  execution_id: string;
  graph_id: string;
  workflow_name: string;
  user_id: string;
  operation_name: string;
  pool_label: string;
  zone: string;
  task_desc: Uint8Array;
  portal_address: string;
  request_hash: string;
  depends_on: string[];
  needs_cpu: number | null;
  needs_gpu: number | null;
  needs_ram_gb: number | null;
  max_attempts: number;
  retry_on_failure: Generated<boolean>;
  state: string;
  attempt: Generated<number>;
  rc: Generated<number>;
  description: Generated<string>;
  vm_id: string | null;
  /** bigint: pg returns it as a string. */
  version: ColumnType<string, never, never>;
  queued_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface HeldVmTable {
  vm_id: string;
  owner: string;
  session_id: string;
  pool_label: string;
  zone: string;
  allocate_operation_id: string;
  address: string | null;
  created_at: Date;
}

/** The scheduler database as kysely sees it. */
export interface SchedulerDatabase {
  allocator_session: AllocatorSessionTable;
  task: TaskTable;
  held_vm: HeldVmTable;
}
