import type { Kysely } from 'kysely';
import { withTransaction } from '@lzy/db';
import { INTERNAL_SUBJECT_ID } from '@lzy/grpc';
import { INTERNAL_USER_ROLE, ROOT_RESOURCE } from '../domain/roles.ts';
import type { SubjectRecord } from '../domain/subject.ts';
import { AccessBindingStore } from './access-binding-store.ts';
import type { IamDatabase } from './schema.ts';
import { SubjectStore } from './subject-store.ts';

/** The services' shared identity (reference-lzy-internals §2.6; common brief "Identity"). */
export const INTERNAL_SUBJECT: SubjectRecord = {
  id: INTERNAL_SUBJECT_ID,
  type: 'USER',
  authProvider: 'INTERNAL',
  providerSubjectId: INTERNAL_SUBJECT_ID,
};

/** Name of the internal identity's public-key credential. */
export const INTERNAL_CREDENTIAL_NAME = 'internal';

/**
 * Makes the internal identity exist: subject `lzy-internal` (USER, INTERNAL), credential
 * `internal` holding `publicKeyPem` (replaced if the key changed) and role `lzy.internal.user` on
 * root. Idempotent; safe when several iam instances start at once.
 */
export async function ensureInternalIdentity(
  db: Kysely<IamDatabase>,
  publicKeyPem: string,
): Promise<void> {
  const subjects = new SubjectStore(db);
  const bindings = new AccessBindingStore(db);
  await withTransaction(db, async (trx) => {
    await subjects.upsertSubjectWithCredential(
      INTERNAL_SUBJECT,
      { name: INTERNAL_CREDENTIAL_NAME, type: 'PUBLIC_KEY', value: publicKeyPem },
      trx,
    );
    await bindings.add(
      ROOT_RESOURCE,
      { role: INTERNAL_USER_ROLE, subjectId: INTERNAL_SUBJECT.id },
      trx,
    );
  });
}
