import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Graphs and their tasks (reference §5.2, one row per task instead of JSON blobs, no event
 * queue: graphs are driven by the scheduler's WatchTasks stream). `request_hash` (SHA-256 of
 * the tasks) makes ExecuteGraph idempotent; `task_desc` and `status` are encoded protobuf
 * (TaskDesc, scheduler TaskStatus); `producers` is a JSON array of task ids this task waits for.
 * Task ids are unique within an execution: they are also the scheduler's ids.
 */
export const graphMigration: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE graph (
        execution_id    text NOT NULL,
        graph_id        text NOT NULL,
        workflow_name   text NOT NULL,
        user_id         text NOT NULL,
        parent_graph_id text NOT NULL DEFAULT '',
        portal_address  text NOT NULL DEFAULT '',
        request_hash    text NOT NULL,
        state           text NOT NULL
          CHECK (state IN ('WAITING', 'EXECUTING', 'COMPLETED', 'FAILED')),
        description     text NOT NULL DEFAULT '',
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (execution_id, graph_id)
      )`.execute(db);
    await sql`
      CREATE INDEX graph_active_index ON graph (execution_id)
        WHERE state IN ('WAITING', 'EXECUTING')`.execute(db);
    await sql`
      CREATE TABLE graph_task (
        execution_id   text NOT NULL,
        task_id        text NOT NULL,
        graph_id       text NOT NULL,
        position       integer NOT NULL,
        operation_name text NOT NULL,
        task_desc      bytea NOT NULL,
        producers      text NOT NULL,
        scheduled      boolean NOT NULL DEFAULT false,
        state          text NOT NULL DEFAULT 'WAITING',
        status         bytea,
        PRIMARY KEY (execution_id, task_id),
        FOREIGN KEY (execution_id, graph_id) REFERENCES graph (execution_id, graph_id)
          ON DELETE CASCADE
      )`.execute(db);
    await sql`CREATE INDEX graph_task_graph_index ON graph_task (execution_id, graph_id)`.execute(
      db,
    );
  },
};
