import { Unavailable } from '@lzy/errors';
import type { Logger } from '@lzy/logging';

export interface StartupRetryOptions {
  /** The idempotent preparation to run until it succeeds (migrations, bootstrap rows). */
  attempt: () => Promise<void>;
  log: Logger;
  /** Called once, when an attempt succeeds. */
  onReady: () => void;
  /** First wait between attempts; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** The database was unreachable (possibly wrapped, e.g. by MigrationError). */
function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof Unavailable) return true;
  }
  return false;
}

/**
 * Runs the start-up preparation so that an unreachable database does not fail start-up (no crash
 * loop while PostgreSQL starts): `start()` makes the first attempt; if the database is
 * unavailable it logs an error and retries in the background with exponential backoff until it
 * succeeds or `stop()` is called. Any other failure of the first attempt is thrown by `start()`;
 * of a later attempt, logged and retried.
 */
export class StartupRetry {
  readonly #options: StartupRetryOptions;
  #ready = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: StartupRetryOptions) {
    this.#options = options;
  }

  get isReady(): boolean {
    return this.#ready;
  }

  async start(): Promise<void> {
    try {
      await this.#options.attempt();
      this.#setReady();
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      this.#options.log.error({ err }, 'database unavailable at start; retrying in the background');
      this.#schedule(this.#options.initialDelayMs ?? 1_000);
    }
  }

  /** Stops retrying. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#retry(delayMs), delayMs);
  }

  async #retry(delayMs: number): Promise<void> {
    try {
      await this.#options.attempt();
      if (!this.#stopped) this.#setReady();
    } catch (err) {
      this.#options.log.error({ err, retryInMs: delayMs }, 'database preparation failed; retrying');
      this.#schedule(Math.min(delayMs * 2, this.#options.maxDelayMs ?? 30_000));
    }
  }

  #setReady(): void {
    this.#ready = true;
    this.#options.onReady();
  }
}
