import type { Kysely } from 'kysely';
import { migrateToLatest } from '@lzy/db';
import type { Logger } from '@lzy/logging';
import { ensureInternalIdentity } from './internal-identity.ts';
import { iamMigrations } from './migrations/index.ts';
import type { IamDatabase } from './schema.ts';

/**
 * What iam needs before it can answer: its schema at the latest migration and the internal
 * identity in place (when configured). Idempotent.
 */
export async function prepareDatabase(
  db: Kysely<IamDatabase>,
  options: { internalPublicKeyPem: string | undefined; log: Logger },
): Promise<void> {
  const applied = await migrateToLatest(db, iamMigrations);
  if (applied.length > 0) options.log.info({ applied }, 'database migrated');
  if (options.internalPublicKeyPem === undefined) {
    options.log.warn(
      'LZY_IAM_INTERNAL_PUBLIC_KEY is not set: no internal identity, so no service can call iam',
    );
    return;
  }
  await ensureInternalIdentity(db, options.internalPublicKeyPem);
}
