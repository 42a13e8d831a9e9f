import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '@lzy/db';
import type { Migration } from '@lzy/db';
import type { HealthControl } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';

export interface DatabaseStartupOptions {
  db: Kysely<unknown>;
  migrations: Readonly<Record<string, Migration>>;
  health: HealthControl;
  /** Full gRPC service names kept NOT_SERVING until the database is ready. */
  serviceNames: readonly string[];
  /** Runs once after migrating (e.g. LISTEN, resume work); a failure is retried like migration. */
  onReady?: (signal: AbortSignal) => Promise<void>;
  log: Logger;
  /** First retry delay, doubled up to 30 s. Default 1 000. */
  retryDelayMs?: number;
}

export interface DatabaseStartup {
  /** Resolves once migrated and onReady succeeded; never rejects (resolves on stop too). */
  ready: Promise<void>;
  /** Stops retrying. Idempotent. */
  stop(): void;
}

/**
 * Migrates in the background and retries with backoff while the database is unreachable, so the
 * process starts (health '' SERVING, the service's own names NOT_SERVING) instead of crash
 * looping while PostgreSQL comes up (issue 4 brief).
 */
export function startDatabase(options: DatabaseStartupOptions): DatabaseStartup {
  const controller = new AbortController();
  const { signal } = controller;
  const log = options.log.child({ component: 'database-startup' });
  for (const name of options.serviceNames) options.health.setStatus(name, 'NOT_SERVING');
  const run = async () => {
    let delayMs = options.retryDelayMs ?? 1_000;
    while (!signal.aborted) {
      try {
        const applied = await migrateToLatest(options.db, options.migrations);
        if (applied.length > 0) log.info({ applied }, 'database migrated');
        await options.onReady?.(signal);
        if (signal.aborted) return;
        for (const name of options.serviceNames) options.health.setStatus(name, 'SERVING');
        return;
      } catch (err) {
        log.error({ err, retryInMs: delayMs }, 'database not ready; retrying');
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
        delayMs = Math.min(30_000, delayMs * 2);
      }
    }
  };
  return { ready: run(), stop: () => controller.abort() };
}
