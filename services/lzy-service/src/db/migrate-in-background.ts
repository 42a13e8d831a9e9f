import { setTimeout as delay } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '@lzy/db';
import type { Logger } from '@lzy/logging';
import { migrations } from './migrations/index.ts';
import type { LzyServiceDb } from './schema.ts';

/**
 * Applies the migrations, retrying every `retryMs` while the database is unreachable, so the
 * process does not crash-loop while PostgreSQL starts. Resolves true once migrated, false when
 * `signal` aborts first.
 */
export async function migrateInBackground(
  db: Kysely<LzyServiceDb>,
  log: Logger,
  signal: AbortSignal,
  retryMs = 5_000,
): Promise<boolean> {
  for (;;) {
    try {
      const applied = await migrateToLatest(db, migrations);
      if (applied.length > 0) log.info({ applied }, 'database migrated');
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      log.error({ err }, 'database migration failed; retrying');
    }
    const slept = await delay(retryMs, true, { signal }).catch(() => false);
    if (!slept) return false;
  }
}
