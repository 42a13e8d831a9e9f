import pg from 'pg';
import { toPgClientConfig } from './database.ts';
import type { DatabaseConnectionOptions, DbLogger } from './database.ts';

export interface NotificationListenerOptions {
  readonly connection: DatabaseConnectionOptions;
  readonly log?: DbLogger | undefined;
  /** Delay before reconnecting after the connection drops (doubles up to 30 s). Default 500. */
  readonly reconnectDelayMs?: number | undefined;
}

type Handler = (payload: string) => void;

const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * PostgreSQL LISTEN on one dedicated connection (LISTEN is per session, so it cannot use the
 * pool), shared by every channel of a process. Notifications are sent with `pg_notify` inside
 * the writing transaction and delivered only after it commits.
 *
 * When the connection drops it reconnects with backoff and LISTENs again; notifications sent
 * meanwhile are lost, so `onReconnect` handlers run after each re-LISTEN and must re-check
 * whatever they were waiting for.
 *
 * Constructor does no I/O; `start()` connects, `stop()` disconnects.
 */
export class NotificationListener {
  readonly #options: NotificationListenerOptions;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #reconnectHandlers = new Set<() => void>();
  #client: pg.Client | undefined;
  #stopped = true;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelayMs: number;

  constructor(options: NotificationListenerOptions) {
    this.#options = options;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? 500;
  }

  /** Connects and LISTENs on every channel registered so far. Throws Unavailable-like pg errors. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  /** Stops listening and closes the connection. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * Calls `handler` with the payload of every notification on `channel`. Before `start()` the
   * LISTEN happens at start; after, immediately (awaited). Returns the unsubscribe function.
   */
  async listen(channel: string, handler: Handler): Promise<() => void> {
    let handlers = this.#handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      if (this.#client !== undefined)
        await this.#client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  /** Runs `handler` after every reconnection (not the first connect). Returns unsubscribe. */
  onReconnect(handler: () => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(toPgClientConfig(this.#options.connection));
    client.on('notification', (msg) => {
      for (const handler of this.#handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
    });
    client.on('error', (err) => this.#onConnectionLost(client, err));
    client.on('end', () => this.#onConnectionLost(client, undefined));
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) {
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
  }

  #onConnectionLost(client: pg.Client, err: unknown): void {
    if (this.#client !== client || this.#stopped) return;
    this.#client = undefined;
    this.#options.log?.warn({ err }, 'notification listener lost its connection; reconnecting');
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const delayMs = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(MAX_RECONNECT_DELAY_MS, delayMs * 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#connect().then(
        () => {
          this.#reconnectDelayMs = this.#options.reconnectDelayMs ?? 500;
          for (const handler of this.#reconnectHandlers) handler();
        },
        (err: unknown) => {
          this.#options.log?.warn({ err }, 'notification listener reconnect failed');
          this.#scheduleReconnect();
        },
      );
    }, delayMs);
  }
}
