import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { withTransaction } from '@lzy/db';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound } from '@lzy/errors';
import type {
  AuthProvider,
  CredentialRecord,
  NewSubject,
  SubjectRecord,
} from '../domain/subject.ts';
import { checkAuthProvider, checkSubjectType, isSameCredential } from '../domain/subject.ts';
import type { CredentialTable, IamDatabase, SubjectTable } from './schema.ts';

type Db = Kysely<IamDatabase> | Transaction<IamDatabase>;

function toSubject(
  row: Pick<SubjectTable, 'id' | 'type' | 'auth_provider' | 'provider_subject_id'> & {
    owner_user_id: string | null;
  },
): SubjectRecord {
  return {
    id: row.id,
    type: checkSubjectType(row.type),
    authProvider: checkAuthProvider(row.auth_provider),
    providerSubjectId: row.provider_subject_id,
    ...(row.owner_user_id === null ? {} : { ownerUserId: row.owner_user_id }),
  };
}

function toCredential(
  row: Pick<CredentialTable, 'name' | 'type' | 'value' | 'expired_at'>,
): CredentialRecord {
  return {
    name: row.name,
    type: row.type === 'OTT' ? 'OTT' : 'PUBLIC_KEY',
    value: row.value,
    ...(row.expired_at === null ? {} : { expiredAt: row.expired_at }),
  };
}

const SUBJECT_COLUMNS = [
  'id',
  'type',
  'auth_provider',
  'provider_subject_id',
  'owner_user_id',
] as const;

/** A subject's usable public keys (what LocalAuthenticator verifies a JWT with). */
export interface SubjectPublicKeys {
  subject: SubjectRecord;
  publicKeyPems: string[];
}

/** All SQL of tables `subject` and `credential`. */
export class SubjectStore {
  readonly #db: Kysely<IamDatabase>;

  constructor(db: Kysely<IamDatabase>) {
    this.#db = db;
  }

  /**
   * Creates a subject with a random UUID id, or returns the existing one with the same
   * (provider, provider id) if its type is the same: a retried CreateSubject must not fail.
   * Credentials of the request the existing subject lacks are added then.
   * @throws AlreadyExists if the existing subject has another type, or holds a credential of the
   *   same name with another value
   */
  async createSubject(input: NewSubject): Promise<SubjectRecord> {
    return withTransaction(this.#db, async (trx) => {
      const inserted = await trx
        .insertInto('subject')
        .values({
          id: randomUUID(),
          type: input.type,
          auth_provider: input.authProvider,
          provider_subject_id: input.providerSubjectId,
        })
        .onConflict((oc) => oc.columns(['auth_provider', 'provider_subject_id']).doNothing())
        .returning(SUBJECT_COLUMNS)
        .executeTakeFirst();
      const subject =
        inserted === undefined ? await this.#existing(trx, input) : toSubject(inserted);
      for (const credential of input.credentials) {
        await this.#addCredential(trx, subject.id, credential);
      }
      return subject;
    });
  }

  async #existing(trx: Db, input: NewSubject): Promise<SubjectRecord> {
    const found = await this.findSubject(input.authProvider, input.providerSubjectId, trx);
    if (found === undefined) throw new Error('subject vanished after a conflicting insert');
    if (found.type !== input.type) {
      throw new AlreadyExists(
        `${input.authProvider} subject "${input.providerSubjectId}" already exists with type ${found.type}`,
      );
    }
    return found;
  }

  /** undefined if there is no such subject. */
  async getSubject(id: string, db: Db = this.#db): Promise<SubjectRecord | undefined> {
    const row = await db
      .selectFrom('subject')
      .select(SUBJECT_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toSubject(row);
  }

  /** The subject with identity key (provider, provider id); undefined if none. */
  async findSubject(
    provider: AuthProvider,
    providerSubjectId: string,
    db: Db = this.#db,
  ): Promise<SubjectRecord | undefined> {
    const row = await db
      .selectFrom('subject')
      .select(SUBJECT_COLUMNS)
      .where('auth_provider', '=', provider)
      .where('provider_subject_id', '=', providerSubjectId)
      .executeTakeFirst();
    return row === undefined ? undefined : toSubject(row);
  }

  /**
   * Records the user VM subject `subjectId` works for. Idempotent.
   * @throws NotFound if there is no such subject
   * @throws InvalidArgument if the subject is not a VM
   * @throws FailedPrecondition if it already works for another user (an owner never changes)
   */
  async setVmOwner(subjectId: string, ownerUserId: string): Promise<void> {
    await withTransaction(this.#db, async (trx) => {
      const row = await trx
        .selectFrom('subject')
        .select(['type', 'owner_user_id'])
        .where('id', '=', subjectId)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) throw new NotFound(`subject ${subjectId} not found`);
      if (row.type !== 'VM')
        throw new InvalidArgument(
          `subject ${subjectId} is a ${row.type}, not a VM: it has no owner`,
        );
      if (row.owner_user_id === ownerUserId) return;
      if (row.owner_user_id !== null)
        throw new FailedPrecondition(
          `VM subject ${subjectId} already works for another user; a VM's owner never changes`,
        );
      await trx
        .updateTable('subject')
        .set({ owner_user_id: ownerUserId })
        .where('id', '=', subjectId)
        .execute();
    });
  }

  /** Removes the subject with its credentials and bindings. False if it did not exist. */
  async removeSubject(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('subject').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * Adds a credential. Adding the same one again (same name, type and value) succeeds.
   * @throws NotFound if the subject does not exist
   * @throws AlreadyExists if the subject has another credential of that name
   */
  async addCredential(subjectId: string, credential: CredentialRecord): Promise<void> {
    await withTransaction(this.#db, async (trx) => {
      if ((await this.getSubject(subjectId, trx)) === undefined) {
        throw new NotFound(`subject ${subjectId} does not exist`);
      }
      await this.#addCredential(trx, subjectId, credential);
    });
  }

  async #addCredential(trx: Db, subjectId: string, credential: CredentialRecord): Promise<void> {
    const inserted = await trx
      .insertInto('credential')
      .values({
        subject_id: subjectId,
        name: credential.name,
        type: credential.type,
        value: credential.value,
        expired_at: credential.expiredAt ?? null,
      })
      .onConflict((oc) => oc.columns(['subject_id', 'name']).doNothing())
      .returning('name')
      .executeTakeFirst();
    if (inserted !== undefined) return;
    const existing = await trx
      .selectFrom('credential')
      .select(['name', 'type', 'value', 'expired_at'])
      .where('subject_id', '=', subjectId)
      .where('name', '=', credential.name)
      .executeTakeFirstOrThrow();
    if (!isSameCredential(toCredential(existing), credential)) {
      throw new AlreadyExists(
        `subject ${subjectId} already has credentials named "${credential.name}"`,
      );
    }
  }

  /** False if the subject has no credential of that name. */
  async removeCredential(subjectId: string, name: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('credential')
      .where('subject_id', '=', subjectId)
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Credentials by name; undefined if the subject does not exist. */
  async listCredentials(subjectId: string): Promise<CredentialRecord[] | undefined> {
    return withTransaction(this.#db, async (trx) => {
      if ((await this.getSubject(subjectId, trx)) === undefined) return undefined;
      const rows = await trx
        .selectFrom('credential')
        .select(['name', 'type', 'value', 'expired_at'])
        .where('subject_id', '=', subjectId)
        .orderBy('name')
        .execute();
      return rows.map(toCredential);
    });
  }

  /**
   * The subject (iss, pvd) and its PUBLIC_KEY credentials not expired at `now` (only the one named
   * `keyName` if given). undefined if there is no such subject or it is not ACCESS_ALLOWED
   * (LZY stored access_type but never checked it, reference-lzy-internals §15).
   */
  async findPublicKeys(
    providerSubjectId: string,
    provider: string,
    keyName: string | undefined,
    now: Date,
  ): Promise<SubjectPublicKeys | undefined> {
    const row = await this.#db
      .selectFrom('subject')
      .select([...SUBJECT_COLUMNS, 'access_type'])
      .where('auth_provider', '=', provider)
      .where('provider_subject_id', '=', providerSubjectId)
      .executeTakeFirst();
    if (row === undefined || row.access_type !== 'ACCESS_ALLOWED') return undefined;
    let keys = this.#db
      .selectFrom('credential')
      .select('value')
      .where('subject_id', '=', row.id)
      .where('type', '=', 'PUBLIC_KEY')
      .where((eb) => eb.or([eb('expired_at', 'is', null), eb('expired_at', '>', now)]));
    if (keyName !== undefined) keys = keys.where('name', '=', keyName);
    const rows = await keys.orderBy('name').execute();
    return { subject: toSubject(row), publicKeyPems: rows.map((r) => r.value) };
  }

  /**
   * Deletes the one-time token credential whose hash is `tokenHash` (single use, valid or not,
   * reference-lzy-internals §2.4) and returns its subject and expiry; undefined if there is none.
   */
  async consumeOneTimeToken(
    tokenHash: string,
  ): Promise<{ subject: SubjectRecord; expiredAt: Date; accessType: string } | undefined> {
    return withTransaction(this.#db, async (trx) => {
      const deleted = await trx
        .deleteFrom('credential')
        .where('type', '=', 'OTT')
        .where('value', '=', tokenHash)
        .returning(['subject_id', 'expired_at'])
        .executeTakeFirst();
      if (deleted?.expired_at == null) return undefined;
      const row = await trx
        .selectFrom('subject')
        .select([...SUBJECT_COLUMNS, 'access_type'])
        .where('id', '=', deleted.subject_id)
        .executeTakeFirstOrThrow();
      return {
        subject: toSubject(row),
        expiredAt: deleted.expired_at,
        accessType: row.access_type,
      };
    });
  }

  /**
   * Makes `subject` exist with exactly these fields and holds `credential` (replacing a credential
   * of that name): the start-up upsert of the internal identity.
   */
  async upsertSubjectWithCredential(
    subject: SubjectRecord,
    credential: CredentialRecord,
    trx: Db,
  ): Promise<void> {
    await trx
      .insertInto('subject')
      .values({
        id: subject.id,
        type: subject.type,
        auth_provider: subject.authProvider,
        provider_subject_id: subject.providerSubjectId,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          type: subject.type,
          auth_provider: subject.authProvider,
          provider_subject_id: subject.providerSubjectId,
          access_type: 'ACCESS_ALLOWED',
        }),
      )
      .execute();
    await trx
      .insertInto('credential')
      .values({
        subject_id: subject.id,
        name: credential.name,
        type: credential.type,
        value: credential.value,
        expired_at: credential.expiredAt ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['subject_id', 'name']).doUpdateSet({
          type: credential.type,
          value: credential.value,
          expired_at: credential.expiredAt ?? null,
        }),
      )
      .execute();
  }
}
