import type { Kysely } from 'kysely';
import type { Clock } from '@lzy/grpc';
import type { SchedulerDatabase } from './schema.ts';

/** All SQL of table `allocator_session`: the allocator session of each session owner. */
export class SessionStore {
  readonly #db: Kysely<SchedulerDatabase>;
  readonly #clock: Clock;

  constructor(deps: { db: Kysely<SchedulerDatabase>; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  async find(owner: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('allocator_session')
      .select('session_id')
      .where('owner', '=', owner)
      .executeTakeFirst();
    return row?.session_id;
  }

  /** Stores the owner's session unless one is stored already; returns the stored one. */
  async save(owner: string, sessionId: string): Promise<string> {
    await this.#db
      .insertInto('allocator_session')
      .values({ owner, session_id: sessionId, created_at: new Date(this.#clock.now()) })
      .onConflict((oc) => oc.column('owner').doNothing())
      .execute();
    return (await this.find(owner)) ?? sessionId;
  }
}
