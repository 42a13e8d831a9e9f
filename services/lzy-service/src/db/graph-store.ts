import type { Kysely } from 'kysely';
import { withTransaction } from '@lzy/db';
import { InvalidArgument } from '@lzy/errors';
import type { GraphView } from '../domain/graph-view.ts';
import type { LzyServiceDb } from './schema.ts';

export interface GraphRecord {
  executionId: string;
  graphId: string;
  submitted: boolean;
  outputSlots: string[];
  view: GraphView | undefined;
  /** When ExecuteGraph first recorded it (the signing time of its re-signed URLs). */
  createdAt: Date;
}

/** SQL of tables `graph` and `snapshot`. */
export class GraphStore {
  readonly #db: Kysely<LzyServiceDb>;

  constructor(deps: { db: Kysely<LzyServiceDb> }) {
    this.#db = deps.db;
  }

  async findByHash(executionId: string, requestHash: string): Promise<GraphRecord | undefined> {
    const row = await this.#db
      .selectFrom('graph')
      .selectAll()
      .where('execution_id', '=', executionId)
      .where('request_hash', '=', requestHash)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async get(executionId: string, graphId: string): Promise<GraphRecord | undefined> {
    const row = await this.#db
      .selectFrom('graph')
      .selectAll()
      .where('execution_id', '=', executionId)
      .where('graph_id', '=', graphId)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async listIds(executionId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('graph')
      .select('graph_id')
      .where('execution_id', '=', executionId)
      .execute();
    return rows.map((row) => row.graph_id);
  }

  /** Which of `uris` were already produced by some graph of some execution. */
  async usedOutputs(uris: readonly string[]): Promise<string[]> {
    const used: string[] = [];
    for (const chunk of chunksOf(uris)) {
      const rows = await this.#db
        .selectFrom('snapshot')
        .select('storage_uri')
        .where('storage_uri', 'in', chunk)
        .execute();
      used.push(...rows.map((row) => row.storage_uri));
    }
    return used;
  }

  /** Of `uris`, those produced by an earlier graph of this execution. */
  async producedIn(executionId: string, uris: readonly string[]): Promise<Set<string>> {
    const produced = new Set<string>();
    for (const chunk of chunksOf(uris)) {
      const rows = await this.#db
        .selectFrom('snapshot')
        .select('storage_uri')
        .where('execution_id', '=', executionId)
        .where('storage_uri', 'in', chunk)
        .execute();
      for (const row of rows) produced.add(row.storage_uri);
    }
    return produced;
  }

  /**
   * Records a new graph and claims its output URIs (write-once). Returns the existing graph when
   * an identical request of the same execution won a race.
   * @throws InvalidArgument when an output URI was claimed meanwhile.
   */
  create(graph: {
    executionId: string;
    graphId: string;
    requestHash: string;
    outputSlots: string[];
    outputUris: string[];
    now: Date;
  }): Promise<GraphRecord> {
    return withTransaction(this.#db, async (trx) => {
      const inserted = await trx
        .insertInto('graph')
        .values({
          execution_id: graph.executionId,
          graph_id: graph.graphId,
          request_hash: graph.requestHash,
          output_slots: graph.outputSlots,
          view: null,
          created_at: graph.now,
        })
        .onConflict((oc) => oc.columns(['execution_id', 'request_hash']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted === undefined) {
        const existing = await new GraphStore({ db: trx }).findByHash(
          graph.executionId,
          graph.requestHash,
        );
        if (existing !== undefined) return existing;
        throw new InvalidArgument('The same graph was submitted concurrently; retry');
      }
      for (const chunk of chunksOf(graph.outputUris)) {
        const claimed = await trx
          .insertInto('snapshot')
          .values(
            chunk.map((uri) => ({
              storage_uri: uri,
              execution_id: graph.executionId,
              graph_id: graph.graphId,
            })),
          )
          .onConflict((oc) => oc.column('storage_uri').doNothing())
          .returning('storage_uri')
          .execute();
        if (claimed.length !== chunk.length) {
          const got = new Set(claimed.map((c) => c.storage_uri));
          const taken = chunk.filter((uri) => !got.has(uri));
          throw new InvalidArgument(
            `Output storage URI '${taken[0] ?? ''}' is already used; outputs are write-once`,
          );
        }
      }
      return toRecord(inserted);
    });
  }

  async markSubmitted(executionId: string, graphId: string): Promise<void> {
    await this.#db
      .updateTable('graph')
      .set({ submitted: true })
      .where('execution_id', '=', executionId)
      .where('graph_id', '=', graphId)
      .execute();
  }

  async saveView(executionId: string, graphId: string, view: GraphView): Promise<void> {
    await this.#db
      .updateTable('graph')
      .set({ view: JSON.stringify(view) })
      .where('execution_id', '=', executionId)
      .where('graph_id', '=', graphId)
      .execute();
  }
}

/**
 * `items` in slices small enough for one statement: PostgreSQL takes at most 65,535 bind
 * parameters, which a 100,000-op graph's URIs exceeded (the driver's error became INTERNAL).
 */
function* chunksOf<T>(items: readonly T[], size = 10_000): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function toRecord(row: {
  execution_id: string;
  graph_id: string;
  submitted: boolean;
  output_slots: string[];
  view: unknown;
  created_at: Date;
}): GraphRecord {
  return {
    executionId: row.execution_id,
    graphId: row.graph_id,
    submitted: row.submitted,
    outputSlots: row.output_slots,
    view: row.view === null ? undefined : (row.view as GraphView),
    createdAt: row.created_at,
  };
}
