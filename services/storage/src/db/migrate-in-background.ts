import type { Kysely } from 'kysely';
import { migrateToLatest } from '@lzy/db';
import type { Migration } from '@lzy/db';
import type { Logger } from '@lzy/logging';

export interface BackgroundMigration {
  /** True once every migration has been applied. */
  isDone(): boolean;
  /** Stops retrying (idempotent); resolves when no attempt is running. */
  stop(): Promise<void>;
}

/**
 * Migrates the database without holding up start-up (common brief: a service must not crash-loop
 * while PostgreSQL starts): retries every `retryMs` until it succeeds, logging each failure, then
 * calls `onDone`.
 */
export function migrateInBackground<DB>(opts: {
  db: Kysely<DB>;
  migrations: Readonly<Record<string, Migration>>;
  log: Logger;
  retryMs?: number;
  onDone: () => void;
}): BackgroundMigration {
  const retryMs = opts.retryMs ?? 2_000;
  let done = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const attempt = (): void => {
    running = migrateToLatest(opts.db, opts.migrations).then(
      (applied) => {
        done = true;
        opts.log.info({ applied }, 'database migrated');
        opts.onDone();
      },
      (err: unknown) => {
        opts.log.error({ err, retryMs }, 'database migration failed; retrying');
        if (!stopped) timer = setTimeout(attempt, retryMs);
      },
    );
  };
  attempt();
  return {
    isDone: () => done,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
