import { sql } from 'kysely';
import type { Migration } from '@lzy/db';

/**
 * Sessions and VMs (reference §3.3, local backend). Differences from LZY:
 * - the OTT is stored as its SHA-256 only (`ott_sha256`), never the token;
 * - a deleted VM keeps its row with status DEAD (LZY moved it to `dead_vms`), so GetVm/WatchVm
 *   can still answer DEAD;
 * - `spec_key` is the canonical JSON of workloads + init workloads + volumes, compared whole for
 *   cache reuse (LZY compared three JSON columns byte for byte);
 * - no FK vm → session: DeleteSession removes the session while its VMs are being torn down.
 */
export const sessionVm: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE session (
        id              text PRIMARY KEY,
        owner           text NOT NULL,
        description     text NOT NULL DEFAULT '',
        idle_timeout_ms bigint NOT NULL CHECK (idle_timeout_ms >= 0),
        created_by      text NOT NULL,
        created_at      timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE vm (
        id                  text PRIMARY KEY,
        session_id          text NOT NULL,
        pool_label          text NOT NULL,
        zone                text NOT NULL,
        cluster_type        text NOT NULL CHECK (cluster_type IN ('WORKER', 'SYSTEM')),
        spec_key            text NOT NULL,
        status              text NOT NULL
          CHECK (status IN ('ALLOCATING', 'RUNNING', 'IDLE', 'DELETING', 'DEAD')),
        allocation_op_id    text NOT NULL,
        allocation_deadline timestamptz NOT NULL,
        ott_sha256          text NOT NULL,
        owner_instance      text NOT NULL,
        pid                 integer,
        endpoints           jsonb NOT NULL DEFAULT '[]'::jsonb,
        metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
        heartbeat_deadline  timestamptz,
        idle_deadline       timestamptz,
        delete_reason       text,
        created_at          timestamptz NOT NULL,
        status_changed_at   timestamptz NOT NULL,
        CONSTRAINT vm_idle_deadline_check CHECK ((status = 'IDLE') = (idle_deadline IS NOT NULL))
      )`.execute(db);
    await sql`CREATE INDEX vm_cache_idx ON vm (session_id, pool_label, status)`.execute(db);
    await sql`CREATE INDEX vm_live_idx ON vm (pool_label) WHERE status <> 'DEAD'`.execute(db);
  },
};
