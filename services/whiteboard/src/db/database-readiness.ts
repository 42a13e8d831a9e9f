import { Unavailable } from '@lzy/errors';
import type { Logger } from '@lzy/logging';

export interface DatabaseReadinessDeps {
  /** Applies the migrations; throws when the database cannot be reached or a migration fails. */
  migrate: () => Promise<void>;
  /** Called once, when the migrations have been applied. */
  onReady: () => void;
  log: Logger;
  /** First retry delay (ms); doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

function isUnreachable(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof Unavailable) return true;
  return false;
}

/**
 * Migrates at start-up without making the process depend on PostgreSQL being ready first (issue
 * 4 ground rules: no crash loop while PG starts): a failed attempt is logged and retried in the
 * background with backoff, and calls fail with UNAVAILABLE until the database is migrated.
 * Every failure is retried, not only an unreachable server: a database not created yet (3D000)
 * or a role without access are fixed by an operator while the process keeps running.
 */
export class DatabaseReadiness {
  readonly #deps: DatabaseReadinessDeps;
  #ready = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #attempt: Promise<void> | undefined;

  constructor(deps: DatabaseReadinessDeps) {
    this.#deps = deps;
  }

  get isReady(): boolean {
    return this.#ready;
  }

  /** Tries once; resolves when migrated or when retrying in the background. Never rejects. */
  async start(): Promise<void> {
    this.#attempt = this.#run(this.#deps.retryDelayMs ?? 1_000);
    await this.#attempt;
  }

  /** @throws Unavailable until the database is migrated */
  assertReady(): void {
    if (!this.#ready)
      throw new Unavailable('The whiteboard database is not ready yet; retry later');
  }

  /** Stops retrying and waits for a running attempt. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#attempt;
  }

  async #run(nextDelayMs: number): Promise<void> {
    try {
      await this.#deps.migrate();
    } catch (err) {
      const reason = isUnreachable(err) ? 'database unreachable' : 'database migration failed';
      this.#deps.log.error({ err, retryInMs: nextDelayMs }, `${reason}; retrying`);
      if (this.#stopped) return;
      const maxDelayMs = this.#deps.maxRetryDelayMs ?? 30_000;
      this.#timer = setTimeout(() => {
        this.#attempt = this.#run(Math.min(nextDelayMs * 2, maxDelayMs));
      }, nextDelayMs);
      return;
    }
    this.#ready = true;
    this.#deps.onReady();
  }
}
