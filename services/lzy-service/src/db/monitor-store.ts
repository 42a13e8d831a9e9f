import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import { InvalidArgument } from '@lzy/errors';
import type {
  ExecutionFilter,
  ExecutionPage,
  ExecutionSummary,
  MonitorExecutionStatus,
  MonitorGraphState,
  RecordedOp,
} from '../domain/monitor-model.ts';
import type { ExecutionStatus, LzyServiceDb } from './schema.ts';

const TO_DB_STATUS: Record<MonitorExecutionStatus, ExecutionStatus> = {
  RUNNING: 'RUN',
  FAILED: 'ERROR',
  COMPLETING: 'COMPLETING',
  COMPLETED: 'COMPLETED',
};
const FROM_DB_STATUS: Record<ExecutionStatus, MonitorExecutionStatus> = {
  RUN: 'RUNNING',
  ERROR: 'FAILED',
  COMPLETING: 'COMPLETING',
  COMPLETED: 'COMPLETED',
};

interface SummaryRow {
  execution_id: string;
  user_id: string;
  workflow_name: string;
  status: ExecutionStatus;
  finish_reason: string | null;
  created_at: Date;
  finished_at: Date | null;
  op_count: number;
  ops_completed: number;
  ops_executing: number;
  graph_count: number;
  graphs_failed: number;
  failure: string | null;
}

/** Graph rows as the monitor reads them, with the ops recorded at submission. */
export interface StoredGraph {
  graphId: string;
  createdAt: Date;
  state: MonitorGraphState;
  description: string;
  ops: RecordedOp[];
}

/**
 * Per-execution aggregates over `graph.view` (graph-executor's last pushed status) and the ops
 * recorded in `monitor_graph`. One lateral subquery each, so a page costs one statement.
 */
const SUMMARY_SELECT = sql`
  SELECT e.execution_id, e.user_id, e.workflow_name, e.status, e.finish_reason, e.created_at,
         e.finished_at,
         COALESCE(m.op_count, 0)::int AS op_count,
         COALESCE(g.ops_completed, 0)::int AS ops_completed,
         COALESCE(g.ops_executing, 0)::int AS ops_executing,
         COALESCE(g.graph_count, 0)::int AS graph_count,
         COALESCE(g.graphs_failed, 0)::int AS graphs_failed,
         g.failure
  FROM execution e
  LEFT JOIN LATERAL (
    SELECT count(*) AS graph_count,
           count(*) FILTER (WHERE view -> 'executor' ->> 'state' = 'FAILED') AS graphs_failed,
           sum(COALESCE(jsonb_array_length(view -> 'executor' -> 'completedTaskIds'), 0))
             AS ops_completed,
           sum(COALESCE(jsonb_array_length(view -> 'executor' -> 'executingTaskIds'), 0))
             AS ops_executing,
           (array_agg(view -> 'executor' ->> 'description' ORDER BY created_at DESC)
             FILTER (WHERE view -> 'executor' ->> 'state' = 'FAILED'))[1] AS failure
    FROM graph WHERE graph.execution_id = e.execution_id
  ) g ON true
  LEFT JOIN LATERAL (
    SELECT sum(op_count) AS op_count FROM monitor_graph mg WHERE mg.execution_id = e.execution_id
  ) m ON true`;

const MAX_PAGE_SIZE = 1_000;
const DEFAULT_PAGE_SIZE = 100;

/** SQL of the monitor: tables `monitor_graph`, `monitor_channel` and reads of the workflow tables. */
export class MonitorStore {
  readonly #db: Kysely<LzyServiceDb>;

  constructor(deps: { db: Kysely<LzyServiceDb> }) {
    this.#db = deps.db;
  }

  /**
   * Records the ops of a submitted graph; a replayed submission keeps the first record.
   * Idempotent.
   */
  async recordGraph(graph: {
    executionId: string;
    graphId: string;
    ops: RecordedOp[];
    now: Date;
  }): Promise<void> {
    await sql`
      INSERT INTO monitor_graph (execution_id, graph_id, ops, op_count, created_at)
      VALUES (${graph.executionId}, ${graph.graphId}, ${JSON.stringify(graph.ops)}::jsonb,
              ${graph.ops.length}, ${graph.now})
      ON CONFLICT (execution_id, graph_id) DO NOTHING`.execute(this.#db);
  }

  /** Records which storage URI each channel carries. Idempotent. */
  async recordChannels(
    executionId: string,
    channels: ReadonlyArray<{ channelId: string; storageUri: string }>,
  ): Promise<void> {
    if (channels.length === 0) return;
    const values = sql.join(
      channels.map((c) => sql`(${executionId}, ${c.channelId}, ${c.storageUri})`),
    );
    await sql`
      INSERT INTO monitor_channel (execution_id, channel_id, storage_uri) VALUES ${values}
      ON CONFLICT (execution_id, channel_id) DO NOTHING`.execute(this.#db);
  }

  /**
   * A page of executions, newest first (keyset on created_at, execution_id).
   * @throws InvalidArgument for a page token this store did not make
   */
  async list(filter: ExecutionFilter, pageSize: number, pageToken: string): Promise<ExecutionPage> {
    const size = Math.min(pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, MAX_PAGE_SIZE);
    const where: RawBuilder<unknown>[] = [sql`true`];
    if (filter.userId !== undefined) where.push(sql`e.user_id = ${filter.userId}`);
    if (filter.workflowName !== '') {
      where.push(sql`e.workflow_name ILIKE ${`%${escapeLike(filter.workflowName)}%`}`);
    }
    if (filter.statuses.length > 0) {
      const statuses = filter.statuses.map((s) => TO_DB_STATUS[s]);
      where.push(sql`e.status IN (${sql.join(statuses)})`);
    }
    if (filter.createdFrom !== undefined) where.push(sql`e.created_at >= ${filter.createdFrom}`);
    if (filter.createdTo !== undefined) where.push(sql`e.created_at <= ${filter.createdTo}`);
    if (filter.onlyFailures) where.push(sql`(e.status = 'ERROR' OR g.graphs_failed > 0)`);
    const after = parsePageToken(pageToken);
    if (after !== undefined) {
      where.push(sql`(e.created_at, e.execution_id) < (${after.createdAt}, ${after.executionId})`);
    }
    const { rows } = await sql<SummaryRow>`
      ${SUMMARY_SELECT}
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY e.created_at DESC, e.execution_id DESC
      LIMIT ${size + 1}`.execute(this.#db);
    const page = rows.slice(0, size).map(toSummary);
    const last = page.at(-1);
    return {
      executions: page,
      nextPageToken: rows.length > size && last !== undefined ? pageTokenOf(last) : '',
    };
  }

  /** undefined if there is no such execution. */
  async summary(executionId: string): Promise<ExecutionSummary | undefined> {
    const { rows } = await sql<SummaryRow>`
      ${SUMMARY_SELECT} WHERE e.execution_id = ${executionId}`.execute(this.#db);
    const row = rows[0];
    return row === undefined ? undefined : toSummary(row);
  }

  /** The execution's portal address ('' if none). */
  async portalAddress(executionId: string): Promise<string> {
    const row = await this.#db
      .selectFrom('execution')
      .select('portal_address')
      .where('execution_id', '=', executionId)
      .executeTakeFirst();
    return row?.portal_address ?? '';
  }

  /** Graphs in submission order with their recorded ops ([] for a graph recorded before 0003). */
  async graphs(executionId: string): Promise<StoredGraph[]> {
    const { rows } = await sql<{
      graph_id: string;
      created_at: Date;
      state: string | null;
      description: string | null;
      ops: RecordedOp[] | null;
    }>`
      SELECT g.graph_id, g.created_at, g.view -> 'executor' ->> 'state' AS state,
             g.view -> 'executor' ->> 'description' AS description, mg.ops
      FROM graph g
      LEFT JOIN monitor_graph mg ON mg.execution_id = g.execution_id AND mg.graph_id = g.graph_id
      WHERE g.execution_id = ${executionId}
      ORDER BY g.created_at, g.graph_id`.execute(this.#db);
    return rows.map((row) => ({
      graphId: row.graph_id,
      createdAt: row.created_at,
      state: graphStateOf(row.state),
      description: row.description ?? '',
      ops: row.ops ?? [],
    }));
  }

  /** channel id → storage URI of every recorded channel of the execution. */
  async channelUris(executionId: string): Promise<Map<string, string>> {
    const { rows } = await sql<{ channel_id: string; storage_uri: string }>`
      SELECT channel_id, storage_uri FROM monitor_channel
      WHERE execution_id = ${executionId}`.execute(this.#db);
    return new Map(rows.map((row) => [row.channel_id, row.storage_uri]));
  }
}

const GRAPH_STATES: readonly MonitorGraphState[] = ['WAITING', 'EXECUTING', 'COMPLETED', 'FAILED'];

/** graph-executor's state as stored in graph.view; WAITING before its first push. */
function graphStateOf(state: string | null): MonitorGraphState {
  return GRAPH_STATES.find((known) => known === state) ?? 'WAITING';
}

function toSummary(row: SummaryRow): ExecutionSummary {
  return {
    executionId: row.execution_id,
    userId: row.user_id,
    workflowName: row.workflow_name,
    status: FROM_DB_STATUS[row.status],
    finishReason: row.finish_reason ?? '',
    createdAt: row.created_at,
    finishedAt: row.finished_at ?? undefined,
    opCount: row.op_count,
    opsCompleted: row.ops_completed,
    opsExecuting: row.ops_executing,
    graphCount: row.graph_count,
    graphsFailed: row.graphs_failed,
    failure: row.failure ?? '',
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function pageTokenOf(last: ExecutionSummary): string {
  return Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.executionId])).toString(
    'base64url',
  );
}

function parsePageToken(token: string): { createdAt: Date; executionId: string } | undefined {
  if (token === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string' &&
      !Number.isNaN(Date.parse(parsed[0]))
    ) {
      return { createdAt: new Date(parsed[0]), executionId: parsed[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidArgument('page_token is not one this API returned; start without it');
}
