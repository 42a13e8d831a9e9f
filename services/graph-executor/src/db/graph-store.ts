import { sql } from 'kysely';
import type { Generated, Kysely } from 'kysely';
import { withTransaction } from '@lzy/db';
import { AlreadyExists } from '@lzy/errors';
import { commonOperation, scheduler } from '@lzy/proto';
import type {
  GraphRecord,
  GraphState,
  GraphStorePort,
  NewGraph,
  TaskRecord,
} from '../domain/graph-store-port.ts';

export interface GraphTable {
  execution_id: string;
  graph_id: string;
  workflow_name: string;
  user_id: string;
  parent_graph_id: string;
  portal_address: string;
  request_hash: string;
  state: GraphState;
  description: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GraphTaskTable {
  execution_id: string;
  task_id: string;
  graph_id: string;
  position: number;
  operation_name: string;
  task_desc: Buffer;
  producers: string;
  scheduled: Generated<boolean>;
  state: Generated<string>;
  status: Buffer | null;
}

export interface GraphExecutorDatabase {
  graph: GraphTable;
  graph_task: GraphTaskTable;
}

type Db = Kysely<GraphExecutorDatabase>;
const ACTIVE: GraphState[] = ['WAITING', 'EXECUTING'];
const TERMINAL_TASK_STATES = ['SUCCEEDED', 'FAILED', 'STOPPED'];

/** All SQL of graphs and their tasks. */
export class GraphStore implements GraphStorePort {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  async insert(graph: NewGraph): Promise<'created' | 'exists'> {
    return withTransaction(this.#db, async (trx) => {
      const inserted = await trx
        .insertInto('graph')
        .values({
          execution_id: graph.executionId,
          graph_id: graph.graphId,
          workflow_name: graph.workflowName,
          user_id: graph.userId,
          parent_graph_id: graph.parentGraphId,
          portal_address: graph.portalAddress,
          request_hash: graph.requestHash,
          state: 'WAITING',
          description: '',
        })
        .onConflict((oc) => oc.doNothing())
        .returning('graph_id')
        .executeTakeFirst();
      if (inserted === undefined) {
        const existing = await trx
          .selectFrom('graph')
          .select('request_hash')
          .where('execution_id', '=', graph.executionId)
          .where('graph_id', '=', graph.graphId)
          .executeTakeFirstOrThrow();
        if (existing.request_hash !== graph.requestHash)
          throw new AlreadyExists(
            `graph ${graph.graphId} already exists with other tasks; choose another graph_id`,
          );
        return 'exists';
      }
      await trx
        .insertInto('graph_task')
        .values(
          graph.tasks.map((task, position) => ({
            execution_id: graph.executionId,
            task_id: task.id,
            graph_id: graph.graphId,
            position,
            operation_name: task.operationName,
            task_desc: Buffer.from(commonOperation.TaskDesc.encode(task.taskDesc).finish()),
            producers: JSON.stringify(task.producers),
            status: null,
          })),
        )
        .execute();
      return 'created';
    });
  }

  async get(executionId: string, graphId: string): Promise<GraphRecord | undefined> {
    return (await this.#load({ executionId, graphId }))[0];
  }

  list(executionId: string): Promise<GraphRecord[]> {
    return this.#load({ executionId });
  }

  listActive(): Promise<GraphRecord[]> {
    return this.#load({ activeOnly: true });
  }

  async markScheduled(executionId: string, graphId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await withTransaction(this.#db, async (trx) => {
      await trx
        .updateTable('graph_task')
        .set({ scheduled: true })
        .where('execution_id', '=', executionId)
        .where('task_id', 'in', taskIds)
        .execute();
      await trx
        .updateTable('graph')
        .set({ state: 'EXECUTING', updated_at: sql`now()` })
        .where('execution_id', '=', executionId)
        .where('graph_id', '=', graphId)
        .where('state', '=', 'WAITING')
        .execute();
    });
  }

  async saveTaskStatus(status: scheduler.TaskStatus, state: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('graph_task')
      .set({ state, status: Buffer.from(scheduler.TaskStatus.encode(status).finish()) })
      .where('execution_id', '=', status.executionId)
      .where('task_id', '=', status.taskId)
      .where('state', 'not in', TERMINAL_TASK_STATES)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async finish(
    executionId: string,
    graphId: string,
    state: 'COMPLETED' | 'FAILED',
    description: string,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('graph')
      .set({ state, description, updated_at: sql`now()` })
      .where('execution_id', '=', executionId)
      .where('graph_id', '=', graphId)
      .where('state', 'in', ACTIVE)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async #load(where: {
    executionId?: string;
    graphId?: string;
    activeOnly?: boolean;
  }): Promise<GraphRecord[]> {
    const graphs = await this.#db
      .selectFrom('graph')
      .selectAll()
      .$if(where.executionId !== undefined, (q) => q.where('execution_id', '=', where.executionId!))
      .$if(where.graphId !== undefined, (q) => q.where('graph_id', '=', where.graphId!))
      .$if(where.activeOnly === true, (q) => q.where('state', 'in', ACTIVE))
      .orderBy('created_at')
      .orderBy('graph_id')
      .execute();
    if (graphs.length === 0) return [];
    const tasks = await this.#db
      .selectFrom('graph_task')
      .selectAll()
      .where((eb) =>
        eb.or(
          graphs.map((g) =>
            eb.and([eb('execution_id', '=', g.execution_id), eb('graph_id', '=', g.graph_id)]),
          ),
        ),
      )
      .orderBy('position')
      .execute();
    return graphs.map((g): GraphRecord => ({
      executionId: g.execution_id,
      graphId: g.graph_id,
      workflowName: g.workflow_name,
      userId: g.user_id,
      parentGraphId: g.parent_graph_id,
      portalAddress: g.portal_address,
      state: g.state,
      description: g.description,
      updatedAt: g.updated_at,
      tasks: tasks
        .filter((t) => t.execution_id === g.execution_id && t.graph_id === g.graph_id)
        .map((t): TaskRecord => ({
          id: t.task_id,
          operationName: t.operation_name,
          taskDesc: commonOperation.TaskDesc.decode(t.task_desc),
          producers: JSON.parse(t.producers) as string[],
          scheduled: t.scheduled,
          status: t.status === null ? undefined : scheduler.TaskStatus.decode(t.status),
        })),
    }));
  }
}
