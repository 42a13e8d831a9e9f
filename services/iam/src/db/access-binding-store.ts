import type { Kysely, Transaction } from 'kysely';
import { withTransaction } from '@lzy/db';
import { NotFound } from '@lzy/errors';
import type { Resource } from '../domain/roles.ts';
import { checkSubjectType } from '../domain/subject.ts';
import type { SubjectType } from '../domain/subject.ts';
import type { IamDatabase } from './schema.ts';

type Db = Kysely<IamDatabase> | Transaction<IamDatabase>;

/** One role of one subject on a resource. */
export interface Binding {
  role: string;
  subjectId: string;
}

export interface BindingWithSubject {
  role: string;
  subject: { id: string; type: SubjectType };
}

export interface BindingDelta {
  action: 'ADD' | 'REMOVE';
  binding: Binding;
}

export interface ReplaceOptions {
  /**
   * Roles the replacement leaves alone (neither removed nor added): a non-internal caller may
   * not touch internal roles, so its Set keeps the internal bindings as they are.
   */
  keepRole?: (role: string) => boolean;
}

/** All SQL of table `access_binding`. */
export class AccessBindingStore {
  readonly #db: Kysely<IamDatabase>;

  constructor(db: Kysely<IamDatabase>) {
    this.#db = db;
  }

  /** Roles `subjectId` holds on any of `resources`. */
  async rolesOn(subjectId: string, resources: readonly Resource[]): Promise<string[]> {
    if (resources.length === 0) return [];
    const rows = await this.#db
      .selectFrom('access_binding')
      .select('role')
      .distinct()
      .where('subject_id', '=', subjectId)
      .where((eb) =>
        eb.or(
          resources.map((r) =>
            eb.and([eb('resource_type', '=', r.type), eb('resource_id', '=', r.id)]),
          ),
        ),
      )
      .execute();
    return rows.map((r) => r.role);
  }

  /** Bindings of `resource`, ordered by role then subject id. */
  async list(resource: Resource): Promise<BindingWithSubject[]> {
    const rows = await this.#db
      .selectFrom('access_binding as b')
      .innerJoin('subject as s', 's.id', 'b.subject_id')
      .select(['b.role', 's.id', 's.type'])
      .where('b.resource_type', '=', resource.type)
      .where('b.resource_id', '=', resource.id)
      .orderBy('b.role')
      .orderBy('s.id')
      .execute();
    return rows.map((r) => ({
      role: r.role,
      subject: { id: r.id, type: checkSubjectType(r.type) },
    }));
  }

  /**
   * Makes `bindings` the resource's whole set of bindings (LZY's Set only added, §15).
   * @throws NotFound if a binding names a subject that does not exist (nothing changes then)
   */
  async replace(
    resource: Resource,
    bindings: readonly Binding[],
    options: ReplaceOptions = {},
  ): Promise<void> {
    const keep = options.keepRole ?? (() => false);
    await withTransaction(this.#db, async (trx) => {
      await this.#checkSubjectsExist(trx, bindings);
      const existing = await trx
        .selectFrom('access_binding')
        .select(['role', 'subject_id'])
        .where('resource_type', '=', resource.type)
        .where('resource_id', '=', resource.id)
        .execute();
      for (const row of existing) {
        if (keep(row.role)) continue;
        await this.#remove(trx, resource, { role: row.role, subjectId: row.subject_id });
      }
      for (const binding of bindings) {
        if (!keep(binding.role)) await this.#add(trx, resource, binding);
      }
    });
  }

  /**
   * Applies ADD / REMOVE deltas in order, in one transaction. Adding a present binding or removing
   * an absent one is a no-op (retries succeed).
   * @throws NotFound if an ADD names a subject that does not exist (nothing changes then)
   */
  async update(resource: Resource, deltas: readonly BindingDelta[]): Promise<void> {
    await withTransaction(this.#db, async (trx) => {
      const added = deltas.filter((d) => d.action === 'ADD').map((d) => d.binding);
      await this.#checkSubjectsExist(trx, added);
      for (const delta of deltas) {
        if (delta.action === 'ADD') await this.#add(trx, resource, delta.binding);
        else await this.#remove(trx, resource, delta.binding);
      }
    });
  }

  /** Adds one binding if absent (the internal identity's root role at start-up). */
  async add(resource: Resource, binding: Binding, trx: Db = this.#db): Promise<void> {
    await this.#add(trx, resource, binding);
  }

  async #add(db: Db, resource: Resource, binding: Binding): Promise<void> {
    await db
      .insertInto('access_binding')
      .values({
        resource_type: resource.type,
        resource_id: resource.id,
        subject_id: binding.subjectId,
        role: binding.role,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async #remove(db: Db, resource: Resource, binding: Binding): Promise<void> {
    await db
      .deleteFrom('access_binding')
      .where('resource_type', '=', resource.type)
      .where('resource_id', '=', resource.id)
      .where('subject_id', '=', binding.subjectId)
      .where('role', '=', binding.role)
      .execute();
  }

  async #checkSubjectsExist(db: Db, bindings: readonly Binding[]): Promise<void> {
    const ids = [...new Set(bindings.map((b) => b.subjectId))];
    if (ids.length === 0) return;
    const rows = await db.selectFrom('subject').select('id').where('id', 'in', ids).execute();
    const found = new Set(rows.map((r) => r.id));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw new NotFound(`subject ${missing} does not exist`);
  }
}
