import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '@lzy/grpc';
import { TERMINAL_TASK_STATES } from '@lzy/tasks';
import type { TaskState } from '@lzy/tasks';
import type { Task, TaskProgress } from '../domain/task.ts';
import type { SchedulerDatabase, TaskTable } from './schema.ts';

type TaskRow = Selectable<TaskTable>;

/** What Submit stores for a new task (WAITING or QUEUED, attempt 0). */
export type NewTask = Omit<
  Task,
  'rc' | 'description' | 'vmId' | 'attempt' | 'version' | 'startedAt' | 'finishedAt' | 'updatedAt'
>;

function toTask(row: TaskRow): Task {
  const needs =
    row.needs_cpu === null || row.needs_gpu === null || row.needs_ram_gb === null
      ? undefined
      : { cpu: row.needs_cpu, gpu: row.needs_gpu, ramGb: row.needs_ram_gb };
  return {
    taskId: row.task_id,
    executionId: row.execution_id,
    graphId: row.graph_id,
    workflowName: row.workflow_name,
    userId: row.user_id,
    operationName: row.operation_name,
    poolLabel: row.pool_label,
    zone: row.zone,
    taskDesc: row.task_desc,
    portalAddress: row.portal_address,
    requestHash: row.request_hash,
    dependsOn: row.depends_on,
    needs,
    maxAttempts: row.max_attempts,
    retryOnFailure: row.retry_on_failure,
    state: row.state as TaskState,
    attempt: row.attempt,
    rc: row.rc,
    description: row.description,
    vmId: row.vm_id ?? '',
    version: Number(row.version),
    queuedAt: row.queued_at ?? undefined,
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
    updatedAt: row.updated_at,
  };
}

/**
 * All SQL of table `task`. Every change gets a fresh `version` from one sequence, so WatchTasks
 * can resume after the last version a caller saw. Progress is written in batches: one UPDATE for
 * every task changed since the last write (TaskWriter).
 */
export class TaskStore {
  readonly #db: Kysely<SchedulerDatabase>;
  readonly #clock: Clock;

  constructor(deps: { db: Kysely<SchedulerDatabase>; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /**
   * Inserts the tasks in one statement; ids already stored are left as they are.
   * @returns the inserted tasks and, for ids that existed, the stored ones
   */
  async insertMany(tasks: readonly NewTask[]): Promise<{ created: Task[]; existing: Task[] }> {
    if (tasks.length === 0) return { created: [], existing: [] };
    const now = new Date(this.#clock.now());
    const rows = await this.#db
      .insertInto('task')
      .values(
        tasks.map((t) => ({
          task_id: t.taskId,
          execution_id: t.executionId,
          graph_id: t.graphId,
          workflow_name: t.workflowName,
          user_id: t.userId,
          operation_name: t.operationName,
          pool_label: t.poolLabel,
          zone: t.zone,
          task_desc: t.taskDesc,
          portal_address: t.portalAddress,
          request_hash: t.requestHash,
          depends_on: [...t.dependsOn],
          needs_cpu: t.needs?.cpu ?? null,
          needs_gpu: t.needs?.gpu ?? null,
          needs_ram_gb: t.needs?.ramGb ?? null,
          max_attempts: t.maxAttempts,
          retry_on_failure: t.retryOnFailure,
          state: t.state,
          vm_id: null,
          queued_at: t.queuedAt ?? null,
          started_at: null,
          finished_at: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.column('task_id').doNothing())
      .returningAll()
      .execute();
    const created = rows.map(toTask);
    if (created.length === tasks.length) return { created, existing: [] };
    const inserted = new Set(created.map((t) => t.taskId));
    const existing = await this.getMany(
      tasks.map((t) => t.taskId).filter((id) => !inserted.has(id)),
    );
    return { created, existing };
  }

  /**
   * Writes the progress of every task in `changes` in one statement. A task already in a
   * terminal state is not changed (a late event never overwrites how it ended).
   * @returns the tasks as written (with their new versions), in version order
   */
  async writeProgress(changes: ReadonlyMap<string, TaskProgress>): Promise<Task[]> {
    if (changes.size === 0) return [];
    const ids: string[] = [];
    const states: string[] = [];
    const attempts: number[] = [];
    const rcs: number[] = [];
    const descriptions: string[] = [];
    const vmIds: Array<string | null> = [];
    const queuedAt: Array<Date | null> = [];
    const startedAt: Array<Date | null> = [];
    const finishedAt: Array<Date | null> = [];
    for (const [taskId, p] of changes) {
      ids.push(taskId);
      states.push(p.state);
      attempts.push(p.attempt);
      rcs.push(p.rc);
      descriptions.push(p.description);
      vmIds.push(p.vmId === '' ? null : p.vmId);
      queuedAt.push(p.queuedAt ?? null);
      startedAt.push(p.startedAt ?? null);
      finishedAt.push(p.finishedAt ?? null);
    }
    const now = new Date(this.#clock.now());
    const result = await sql<TaskRow>`
      UPDATE task AS t SET
        state = v.state, attempt = v.attempt, rc = v.rc, description = v.description,
        vm_id = v.vm_id, queued_at = v.queued_at, started_at = v.started_at,
        finished_at = v.finished_at, version = nextval('task_version_seq'), updated_at = ${now}
      FROM unnest(
        ${ids}::text[], ${states}::text[], ${attempts}::int[], ${rcs}::int[],
        ${descriptions}::text[], ${vmIds}::text[], ${queuedAt}::timestamptz[],
        ${startedAt}::timestamptz[], ${finishedAt}::timestamptz[]
      ) AS v(task_id, state, attempt, rc, description, vm_id, queued_at, started_at, finished_at)
      WHERE t.task_id = v.task_id AND NOT (t.state = ANY(${[...TERMINAL_TASK_STATES]}::text[]))
      RETURNING t.*`.execute(this.#db);
    return result.rows.map(toTask).sort((a, b) => a.version - b.version);
  }

  async get(taskId: string): Promise<Task | undefined> {
    const row = await this.#db
      .selectFrom('task')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  async getMany(taskIds: readonly string[]): Promise<Task[]> {
    if (taskIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom('task')
      .selectAll()
      .where(sql<boolean>`task_id = ANY(${[...taskIds]}::text[])`)
      .execute();
    return rows.map(toTask);
  }

  /** The execution's tasks changed after `afterVersion` (all for 0), in version order. */
  async listByExecution(executionId: string, afterVersion = 0): Promise<Task[]> {
    const rows = await this.#db
      .selectFrom('task')
      .selectAll()
      .where('execution_id', '=', executionId)
      .where(sql<boolean>`version > ${afterVersion}`)
      .orderBy('version')
      .execute();
    return rows.map(toTask);
  }

  /** Every task not ended yet (resume after a restart). */
  async listUnfinished(): Promise<Task[]> {
    const rows = await this.#db
      .selectFrom('task')
      .selectAll()
      .where('state', 'in', ['WAITING', 'QUEUED', 'EXECUTING'])
      .orderBy('version')
      .execute();
    return rows.map(toTask);
  }

  /** States of the given tasks (missing ids are absent from the map). */
  async statesOf(taskIds: readonly string[]): Promise<Map<string, TaskState>> {
    if (taskIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('task')
      .select(['task_id', 'state'])
      .where(sql<boolean>`task_id = ANY(${[...taskIds]}::text[])`)
      .execute();
    return new Map(rows.map((r) => [r.task_id, r.state as TaskState]));
  }
}
