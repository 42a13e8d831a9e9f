import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from '@lzy/db';

/** Tasks and the allocator session of each (user, workflow name) (reference-lzy-internals §4.3). */
export const taskMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('allocator_session')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('task')
      .addColumn('task_id', 'text', (c) => c.primaryKey())
      // Admission order of queued tasks.
      .addColumn('seq', 'bigserial', (c) => c.notNull())
      .addColumn('execution_id', 'text', (c) => c.notNull())
      .addColumn('workflow_name', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('operation_name', 'text', (c) => c.notNull())
      .addColumn('pool_label', 'text', (c) => c.notNull())
      .addColumn('zone', 'text', (c) => c.notNull())
      .addColumn('task_desc', 'bytea', (c) => c.notNull())
      .addColumn('portal_address', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('rc', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('allocate_operation_id', 'text')
      .addColumn('vm_id', 'text')
      .addColumn('vm_address', 'text')
      .addColumn('vm_released', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('task_execution_idx').on('task').column('execution_id').execute();
    // Admission counts the VMs a user holds and picks the oldest queued tasks.
    await db.schema
      .createIndex('task_user_active_idx')
      .on('task')
      .columns(['user_id', 'seq'])
      .where(sql.ref('vm_released'), '=', false)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('task').execute();
    await db.schema.dropTable('allocator_session').execute();
  },
};
