import { sql } from 'kysely';
import type { Generated, Kysely } from 'kysely';
import { withTransaction } from '@lzy/db';
import { AlreadyExists } from '@lzy/errors';
import { commonOperation } from '@lzy/proto';
import type { GraphState } from '@lzy/tasks';
import type { PlannedTask } from '../domain/graph-plan.ts';
import type { GraphRecord, GraphStorePort, NewGraph } from '../domain/graph-store-port.ts';

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
  submitted: Generated<boolean>;
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
  needs_cpu: number | null;
  needs_gpu: number | null;
  needs_ram_gb: number | null;
  max_attempts: number;
  retry_on_failure: Generated<boolean>;
}

export interface GraphExecutorDatabase {
  graph: GraphTable;
  graph_task: GraphTaskTable;
}

type Db = Kysely<GraphExecutorDatabase>;
const ACTIVE: GraphState[] = ['WAITING', 'EXECUTING'];

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
            needs_cpu: task.needs?.cpu ?? null,
            needs_gpu: task.needs?.gpu ?? null,
            needs_ram_gb: task.needs?.ramGb ?? null,
            max_attempts: task.maxAttempts,
            retry_on_failure: task.retryOnFailure,
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

  async markSubmitted(executionId: string, graphId: string): Promise<void> {
    await this.#db
      .updateTable('graph')
      .set({
        submitted: true,
        state: sql`CASE WHEN state = 'WAITING' THEN 'EXECUTING' ELSE state END`,
        updated_at: sql`now()`,
      })
      .where('execution_id', '=', executionId)
      .where('graph_id', '=', graphId)
      .execute();
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
      submitted: g.submitted,
      updatedAt: g.updated_at,
      tasks: tasks
        .filter((t) => t.execution_id === g.execution_id && t.graph_id === g.graph_id)
        .map((t): PlannedTask => ({
          id: t.task_id,
          operationName: t.operation_name,
          taskDesc: commonOperation.TaskDesc.decode(t.task_desc),
          producers: JSON.parse(t.producers) as string[],
          needs:
            t.needs_cpu === null || t.needs_gpu === null || t.needs_ram_gb === null
              ? undefined
              : { cpu: t.needs_cpu, gpu: t.needs_gpu, ramGb: t.needs_ram_gb },
          maxAttempts: t.max_attempts,
          retryOnFailure: t.retry_on_failure,
        })),
    }));
  }
}
