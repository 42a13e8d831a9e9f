import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Workflows, executions, graphs and write-once snapshot URIs (reference-lzy-internals §11.2).
 * - `workflow.active_execution_id`: at most one active execution per (user, workflow).
 * - `execution.status`: RUN → (ERROR) → COMPLETING → COMPLETED.
 * - `graph.request_hash`: an identical ExecuteGraph replays the same graph (public-api §7.3).
 * - `snapshot`: every output storage URI ever produced, so an output is never written twice.
 */
export const workflowsMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE execution (
        execution_id         text PRIMARY KEY,
        user_id              text NOT NULL,
        workflow_name        text NOT NULL,
        status               text NOT NULL
          CHECK (status IN ('RUN', 'ERROR', 'COMPLETING', 'COMPLETED')),
        internal_storage     boolean NOT NULL,
        storage_config       jsonb NOT NULL,
        allocator_session_id text,
        portal_vm_id         text,
        portal_address       text,
        finish_operation_id  text,
        finish_reason        text,
        created_at           timestamptz NOT NULL,
        finished_at          timestamptz
      )`.execute(db);
    await sql`CREATE INDEX execution_user_index ON execution (user_id, workflow_name)`.execute(db);
    await sql`
      CREATE TABLE workflow (
        user_id             text NOT NULL,
        workflow_name       text NOT NULL,
        active_execution_id text REFERENCES execution (execution_id),
        created_at          timestamptz NOT NULL,
        modified_at         timestamptz NOT NULL,
        PRIMARY KEY (user_id, workflow_name)
      )`.execute(db);
    await sql`
      CREATE TABLE graph (
        execution_id text NOT NULL REFERENCES execution (execution_id),
        graph_id     text NOT NULL,
        request_hash text NOT NULL,
        submitted    boolean NOT NULL DEFAULT false,
        output_slots text[] NOT NULL,
        view         jsonb,
        created_at   timestamptz NOT NULL,
        PRIMARY KEY (execution_id, graph_id),
        UNIQUE (execution_id, request_hash)
      )`.execute(db);
    await sql`
      CREATE TABLE snapshot (
        storage_uri  text PRIMARY KEY,
        execution_id text NOT NULL,
        graph_id     text NOT NULL
      )`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE snapshot, graph, workflow, execution`.execute(db);
  },
};
