import { setTimeout as delay } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '@lzy/db';
import type { NotificationListener } from '@lzy/db';
import type { Logger } from '@lzy/logging';
import type { OperationStore } from '@lzy/operations';
import { allocatorMigrations } from './db/migrations/index.ts';
import type { AllocatorDatabase } from './db/schema.ts';
import { VM_CHANGED_CHANNEL } from './db/vm-store.ts';
import type { VmEvents } from './domain/vm-events.ts';
import type { VmReaper } from './domain/vm-reaper.ts';

export interface PrepareDatabaseDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly listener: NotificationListener;
  readonly operations: OperationStore<AllocatorDatabase>;
  readonly events: VmEvents;
  readonly reaper: VmReaper;
  readonly log: Logger;
  /** Stops retrying (rejects with its reason). */
  readonly signal: AbortSignal;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/**
 * Everything that needs the database before the allocator can serve: migrations, LISTEN for
 * operation completions and VM changes, restart recovery, then the periodic sweep. Each stage is
 * retried with backoff while it fails (PostgreSQL still starting), so the process never
 * crash-loops on an unreachable database (common brief: start must not fail then).
 */
export async function prepareDatabase(deps: PrepareDatabaseDeps): Promise<void> {
  const { db, listener, operations, events, reaper, log, signal } = deps;
  await retrying('migrate the database', deps, () => migrateToLatest(db, allocatorMigrations));
  await operations.listenForCompletions(listener);
  await listener.listen(VM_CHANGED_CHANNEL, (vmId) => events.emit(vmId));
  await retrying('listen for notifications', deps, () => listener.start());
  await retrying('recover vms of a previous run', deps, () => reaper.recover());
  signal.throwIfAborted();
  reaper.start();
  log.info('allocator database ready');
}

async function retrying(
  what: string,
  deps: PrepareDatabaseDeps,
  fn: () => Promise<unknown>,
): Promise<void> {
  let waitMs = FIRST_RETRY_MS;
  for (;;) {
    deps.signal.throwIfAborted();
    try {
      await fn();
      return;
    } catch (err) {
      deps.log.error({ err, retryInMs: waitMs }, `could not ${what}; retrying`);
    }
    await delay(waitMs, undefined, { signal: deps.signal });
    waitMs = Math.min(MAX_RETRY_MS, waitMs * 2);
  }
}
