import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { withTransaction } from '@lzy/db';
import type { Clock } from '@lzy/grpc';
import type { Task, TaskState } from '../domain/task.ts';
import { TASK_STATES } from '../domain/task.ts';
import type { SchedulerDatabase, TaskTable } from './schema.ts';

/** The fields of a task the caller chooses at Schedule. */
export type NewTask = Pick<
  Task,
  | 'taskId'
  | 'executionId'
  | 'workflowName'
  | 'userId'
  | 'operationName'
  | 'poolLabel'
  | 'zone'
  | 'taskDesc'
  | 'portalAddress'
  | 'requestHash'
>;

export interface TaskStoreDeps {
  db: Kysely<SchedulerDatabase>;
  clock: Clock;
}

const TERMINAL: readonly TaskState[] = ['SUCCEEDED', 'FAILED', 'STOPPED'];

function toTaskState(value: string): TaskState {
  const state = TASK_STATES.find((s) => s === value);
  if (state === undefined) throw new Error(`unknown task state in the database: ${value}`);
  return state;
}

function toTask(row: Selectable<TaskTable>): Task {
  return {
    taskId: row.task_id,
    executionId: row.execution_id,
    workflowName: row.workflow_name,
    userId: row.user_id,
    operationName: row.operation_name,
    poolLabel: row.pool_label,
    zone: row.zone,
    taskDesc: row.task_desc,
    portalAddress: row.portal_address,
    requestHash: row.request_hash,
    state: toTaskState(row.state),
    rc: row.rc,
    description: row.description,
    allocateOperationId: row.allocate_operation_id ?? undefined,
    vmId: row.vm_id ?? undefined,
    vmAddress: row.vm_address ?? undefined,
    vmReleased: row.vm_released,
    version: row.version,
    updatedAt: row.updated_at,
  };
}

/** All SQL of table `task`. Every change bumps `version` and `updated_at`. */
export class TaskStore {
  readonly #db: Kysely<SchedulerDatabase>;
  readonly #clock: Clock;

  constructor(deps: TaskStoreDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Inserts a QUEUED task; if the id exists, returns the stored task with `created: false`. */
  async insert(task: NewTask): Promise<{ task: Task; created: boolean }> {
    const now = new Date(this.#clock.now());
    const row = await this.#db
      .insertInto('task')
      .values({
        task_id: task.taskId,
        execution_id: task.executionId,
        workflow_name: task.workflowName,
        user_id: task.userId,
        operation_name: task.operationName,
        pool_label: task.poolLabel,
        zone: task.zone,
        task_desc: task.taskDesc,
        portal_address: task.portalAddress,
        request_hash: task.requestHash,
        state: 'QUEUED',
        allocate_operation_id: null,
        vm_id: null,
        vm_address: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return { task: toTask(row), created: true };
    const existing = await this.get(task.taskId);
    if (existing === undefined) throw new Error(`task ${task.taskId} vanished after a conflict`);
    return { task: existing, created: false };
  }

  async get(taskId: string): Promise<Task | undefined> {
    const row = await this.#db
      .selectFrom('task')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  /** Tasks of an execution (optionally only `taskIds`), oldest first. */
  async listByExecution(executionId: string, taskIds: readonly string[] = []): Promise<Task[]> {
    let query = this.#db.selectFrom('task').selectAll().where('execution_id', '=', executionId);
    if (taskIds.length > 0) query = query.where('task_id', 'in', taskIds);
    const rows = await query.orderBy('seq').execute();
    return rows.map(toTask);
  }

  /** Tasks that hold or are getting a VM: to be driven again after a restart. */
  async listHoldingVm(): Promise<Task[]> {
    const rows = await this.#db
      .selectFrom('task')
      .selectAll()
      .where('vm_released', '=', false)
      .where('state', '<>', 'QUEUED')
      .orderBy('seq')
      .execute();
    return rows.map(toTask);
  }

  /** Users with QUEUED tasks. */
  async usersWithQueuedTasks(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('task')
      .select('user_id')
      .distinct()
      .where('state', '=', 'QUEUED')
      .execute();
    return rows.map((r) => r.user_id);
  }

  /**
   * Moves the user's oldest QUEUED tasks to ALLOCATING while the user holds fewer than `maxVms`
   * VMs (tasks past QUEUED whose VM is not released yet). Serialized per user by an advisory lock.
   * @returns the admitted tasks.
   */
  async admit(userId: string, maxVms: number): Promise<Task[]> {
    return withTransaction(
      this.#db,
      async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`lzy-scheduler-user:${userId}`}))`.execute(
          trx,
        );
        const { held } = await trx
          .selectFrom('task')
          .select((eb) => eb.fn.countAll<string>().as('held'))
          .where('user_id', '=', userId)
          .where('vm_released', '=', false)
          .where('state', '<>', 'QUEUED')
          .executeTakeFirstOrThrow();
        const free = maxVms - Number(held);
        if (free <= 0) return [];
        const queued = trx
          .selectFrom('task')
          .select('task_id')
          .where('user_id', '=', userId)
          .where('state', '=', 'QUEUED')
          .orderBy('seq')
          .limit(free);
        const rows = await trx
          .updateTable('task')
          .set((eb) => ({
            state: 'ALLOCATING',
            version: eb('version', '+', 1),
            updated_at: new Date(this.#clock.now()),
          }))
          .where('task_id', 'in', queued)
          .returningAll()
          .execute();
        return rows.map(toTask).sort((a, b) => a.version - b.version);
      },
      { isolation: 'read committed' },
    );
  }

  /** Records the Allocate operation (and the VM id from its metadata). */
  async recordAllocation(
    taskId: string,
    allocation: { operationId: string; vmId: string | undefined },
  ): Promise<void> {
    await this.#db
      .updateTable('task')
      .set((eb) => ({
        allocate_operation_id: allocation.operationId,
        vm_id: allocation.vmId ?? null,
        version: eb('version', '+', 1),
        updated_at: new Date(this.#clock.now()),
      }))
      .where('task_id', '=', taskId)
      .execute();
  }

  /** Records the allocated VM; returns the task as it is now (it may have been stopped). */
  async recordVm(taskId: string, vmId: string, vmAddress: string): Promise<Task> {
    const row = await this.#db
      .updateTable('task')
      .set((eb) => ({
        vm_id: vmId,
        vm_address: vmAddress,
        version: eb('version', '+', 1),
        updated_at: new Date(this.#clock.now()),
      }))
      .where('task_id', '=', taskId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTask(row);
  }

  /**
   * Moves the task to `to` if it is in one of `from`. A terminal state with no Allocate started
   * also releases (the task never had a VM); `vmReleased` records that its VM was freed, in the
   * same write.
   * @returns the changed task, or undefined if it was not in `from` (e.g. already stopped).
   */
  async transition(
    taskId: string,
    from: readonly TaskState[],
    to: TaskState,
    result: { rc?: number; description?: string; vmReleased?: boolean } = {},
  ): Promise<Task | undefined> {
    const terminal = TERMINAL.includes(to);
    const row = await this.#db
      .updateTable('task')
      .set((eb) => ({
        state: to,
        ...(result.rc === undefined ? {} : { rc: result.rc }),
        ...(result.description === undefined ? {} : { description: result.description }),
        ...(result.vmReleased === true
          ? { vm_released: true }
          : terminal
            ? { vm_released: sql<boolean>`vm_released OR allocate_operation_id IS NULL` }
            : {}),
        version: eb('version', '+', 1),
        updated_at: new Date(this.#clock.now()),
      }))
      .where('task_id', '=', taskId)
      .where('state', 'in', from)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  /** The task no longer holds a VM (freed, or the allocation never produced one). */
  async markVmReleased(taskId: string): Promise<void> {
    await this.#db
      .updateTable('task')
      .set((eb) => ({
        vm_released: true,
        version: eb('version', '+', 1),
        updated_at: new Date(this.#clock.now()),
      }))
      .where('task_id', '=', taskId)
      .execute();
  }
}
