import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Warm dispatch (issue 11): a task row carries its dependencies, needs, attempts and timings,
 * ordered per execution by a version from one sequence; VMs are held per session (`held_vm`)
 * instead of allocated per task. Tasks of the per-task-VM scheduler cannot be resumed by this
 * one: the table is recreated, and graph-executor submits its unfinished graphs again on start
 * (Submit is idempotent per task id), which recreates them.
 */
export const warmDispatchMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropTable('task').execute();
    await sql`CREATE SEQUENCE task_version_seq`.execute(db);
    await db.schema
      .createTable('task')
      .addColumn('task_id', 'text', (c) => c.primaryKey())
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('graph_id', 'text', (c) => c.notNull())
      .addColumn('workflow_name', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('operation_name', 'text', (c) => c.notNull())
      .addColumn('pool_label', 'text', (c) => c.notNull())
      .addColumn('zone', 'text', (c) => c.notNull())
      .addColumn('task_desc', 'bytea', (c) => c.notNull())
      .addColumn('portal_address', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('depends_on', sql`text[]`, (c) => c.notNull())
      // All three set, or none: the task needs the whole VM of its pool.
      .addColumn('needs_cpu', 'double precision')
      .addColumn('needs_gpu', 'integer')
      .addColumn('needs_ram_gb', 'double precision')
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rc', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('vm_id', 'text')
      .addColumn('version', 'bigint', (c) =>
        c.notNull().defaultTo(sql`nextval('task_version_seq')`),
      )
      .addColumn('queued_at', 'timestamptz')
      .addColumn('started_at', 'timestamptz')
      .addColumn('finished_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // WatchTasks reads an execution's changes after a version.
    await db.schema
      .createIndex('task_execution_version_idx')
      .on('task')
      .columns(['execution_id', 'version'])
      .execute();
    // Start-up resumes unfinished tasks.
    await db.schema
      .createIndex('task_unfinished_idx')
      .on('task')
      .column('execution_id')
      .where(sql.ref('state'), 'in', ['WAITING', 'QUEUED', 'EXECUTING'])
      .execute();
    await db.schema
      .createTable('held_vm')
      .addColumn('vm_id', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('pool_label', 'text', (c) => c.notNull())
      .addColumn('zone', 'text', (c) => c.notNull())
      .addColumn('allocate_operation_id', 'text', (c) => c.notNull())
      // host:port of its worker, once it registered.
      .addColumn('address', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('held_vm').execute();
    await db.schema.dropTable('task').execute();
    await sql`DROP SEQUENCE task_version_seq`.execute(db);
  },
};
