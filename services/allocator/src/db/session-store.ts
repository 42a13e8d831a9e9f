import type { Kysely } from 'kysely';
import type { Session } from '../domain/vm.ts';
import type { AllocatorDatabase } from './schema.ts';

type Db = Kysely<AllocatorDatabase>;

/** SQL for table `session`. Every method takes the database or a transaction. */
export class SessionStore {
  async insert(db: Db, session: Session, now: Date): Promise<void> {
    await db
      .insertInto('session')
      .values({
        id: session.id,
        owner: session.owner,
        owner_user_id: session.ownerUserId,
        description: session.description,
        idle_timeout_ms: session.idleTimeoutMs,
        created_by: session.createdBy,
        created_at: now,
      })
      .execute();
  }

  /** The session, locked FOR SHARE when `lock` (so DeleteSession waits for an Allocate). */
  async find(db: Db, id: string, lock = false): Promise<Session | undefined> {
    let query = db.selectFrom('session').selectAll().where('id', '=', id);
    if (lock) query = query.forShare();
    const row = await query.executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      owner: row.owner,
      ownerUserId: row.owner_user_id,
      description: row.description,
      idleTimeoutMs: Number(row.idle_timeout_ms),
      createdBy: row.created_by,
    };
  }

  /** @returns whether a row was deleted. */
  async delete(db: Db, id: string): Promise<boolean> {
    const result = await db.deleteFrom('session').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
