import { AlreadyExists, NotFound } from '@lzy/errors';
import { withTransaction } from '@lzy/db';
import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Whiteboard, WhiteboardFilter, WhiteboardStatus } from '../domain/whiteboard.ts';
import type { WhiteboardRepository } from '../domain/whiteboards.ts';
import type { WhiteboardDatabase, WhiteboardFieldTable, WhiteboardTable } from './schema.ts';

type Db = Kysely<WhiteboardDatabase>;

/** All SQL of the whiteboard tables (migrations/0001_whiteboard.ts). */
export class WhiteboardStore implements WhiteboardRepository {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  async insert(
    whiteboard: Whiteboard,
    ownerId: string,
    afterInsert: () => Promise<void>,
  ): Promise<void> {
    try {
      await withTransaction(this.#db, async (trx) => {
        await trx
          .insertInto('whiteboard')
          .values({ ...toRow(whiteboard), id: whiteboard.id, owner_id: ownerId })
          .execute();
        await insertLists(trx, whiteboard);
        await afterInsert();
      });
    } catch (err) {
      if (err instanceof AlreadyExists) {
        throw new AlreadyExists(`Whiteboard '${whiteboard.id}' already exists`, { cause: err });
      }
      throw err;
    }
  }

  async update(id: string, change: (current: Whiteboard) => Whiteboard): Promise<void> {
    await withTransaction(this.#db, async (trx) => {
      const row = await trx
        .selectFrom('whiteboard')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) throw new NotFound(`Whiteboard '${id}' not found`);
      const [current] = await assemble(trx, [row]);
      const next = change(current!);
      await trx
        .updateTable('whiteboard')
        .set({ ...toRow(next), updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('whiteboard_field').where('whiteboard_id', '=', id).execute();
      await trx.deleteFrom('whiteboard_tag').where('whiteboard_id', '=', id).execute();
      await insertLists(trx, next);
    });
  }

  async find(id: string): Promise<Whiteboard | undefined> {
    const row = await this.#db
      .selectFrom('whiteboard')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return (await assemble(this.#db, [row]))[0];
  }

  async list(ownerId: string, filter: WhiteboardFilter): Promise<Whiteboard[]> {
    let query = this.#db.selectFrom('whiteboard').selectAll().where('owner_id', '=', ownerId);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    const tags = [...new Set(filter.tags)];
    if (tags.length > 0) {
      query = query.where('id', 'in', (qb) =>
        qb
          .selectFrom('whiteboard_tag')
          .select('whiteboard_id')
          .where(sql<boolean>`tag = any(${tags}::text[])`)
          .groupBy('whiteboard_id')
          .having(sql<boolean>`count(distinct tag) = ${tags.length}`),
      );
    }
    const { from, to } = filter;
    if (from !== undefined) {
      query = query.where(
        sql<boolean>`(created_at_seconds, created_at_nanos) >= (${from.seconds}::bigint, ${from.nanos}::int)`,
      );
    }
    if (to !== undefined) {
      query = query.where(
        sql<boolean>`(created_at_seconds, created_at_nanos) <= (${to.seconds}::bigint, ${to.nanos}::int)`,
      );
    }
    const rows = await query
      .orderBy('created_at_seconds')
      .orderBy('created_at_nanos')
      .orderBy('id')
      .execute();
    return assemble(this.#db, rows);
  }
}

function toRow(w: Whiteboard) {
  return {
    name: w.name,
    namespace: w.namespace,
    status: w.status,
    storage_name: w.storage.name,
    storage_description: w.storage.description,
    storage_uri: w.storage.uri,
    created_at_seconds: w.createdAt.seconds,
    created_at_nanos: w.createdAt.nanos,
  };
}

async function insertLists(trx: Transaction<WhiteboardDatabase>, w: Whiteboard): Promise<void> {
  if (w.fields.length > 0) {
    await trx
      .insertInto('whiteboard_field')
      .values(
        w.fields.map((field, position) => ({
          whiteboard_id: w.id,
          position,
          name: field.name,
          data_format: field.scheme.dataFormat,
          scheme_format: field.scheme.schemeFormat,
          scheme_content: field.scheme.schemeContent,
          metadata: JSON.stringify(field.scheme.metadata),
        })),
      )
      .execute();
  }
  if (w.tags.length > 0) {
    await trx
      .insertInto('whiteboard_tag')
      .values(w.tags.map((tag, position) => ({ whiteboard_id: w.id, position, tag })))
      .execute();
  }
}

/** Joins each row with its fields and tags (two queries for any number of rows), keeping row order. */
async function assemble(db: Db, rows: Selectable<WhiteboardTable>[]): Promise<Whiteboard[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const inIds = sql<boolean>`whiteboard_id = any(${ids}::text[])`;
  const [fields, tags] = await Promise.all([
    db.selectFrom('whiteboard_field').selectAll().where(inIds).orderBy('position').execute(),
    db.selectFrom('whiteboard_tag').selectAll().where(inIds).orderBy('position').execute(),
  ]);
  const fieldsOf = groupBy(fields, (f) => f.whiteboard_id);
  const tagsOf = groupBy(tags, (t) => t.whiteboard_id);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    tags: (tagsOf.get(row.id) ?? []).map((t) => t.tag),
    fields: (fieldsOf.get(row.id) ?? []).map(toField),
    storage: {
      name: row.storage_name,
      description: row.storage_description,
      uri: row.storage_uri,
    },
    namespace: row.namespace,
    status: row.status as WhiteboardStatus,
    createdAt: { seconds: Number(row.created_at_seconds), nanos: row.created_at_nanos },
  }));
}

function toField(row: Selectable<WhiteboardFieldTable>): Whiteboard['fields'][number] {
  return {
    name: row.name,
    scheme: {
      dataFormat: row.data_format,
      schemeFormat: row.scheme_format,
      schemeContent: row.scheme_content,
      metadata: row.metadata,
    },
  };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
