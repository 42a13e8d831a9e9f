import { Kysely, PostgresDialect } from 'kysely';
import type { LogEvent, PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Registry } from 'prom-client';
import { mapPgError } from './pg-errors.ts';
import { StatementCounter } from './statement-counter.ts';

/** The part of a pino logger this package uses (pino's Logger satisfies it). */
export interface DbLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Where the database is. Either `url` (`postgres://user:pass@host:5432/db`) or the separate
 * fields; fields given next to `url` override it.
 */
export interface DatabaseConnectionOptions {
  readonly url?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
  /** Shown in pg_stat_activity; use the service name. */
  readonly applicationName?: string | undefined;
  /** How long to wait for a new connection before failing with Unavailable. Default 10 000. */
  readonly connectTimeoutMs?: number | undefined;
}

export interface DatabaseOptions extends DatabaseConnectionOptions {
  /** Pool size. Default 10. */
  readonly poolMax?: number | undefined;
  /** Idle pooled connections are closed after this long. Default 30 000. */
  readonly idleTimeoutMs?: number | undefined;
  /** Server-side statement_timeout; a slower statement fails with DeadlineExceeded. Default none. */
  readonly statementTimeoutMs?: number | undefined;
  /** Queries slower than this are logged at warn (SQL text only, never parameters). Default 1 000. */
  readonly slowQueryMs?: number | undefined;
  readonly log?: DbLogger | undefined;
  /**
   * Counts every statement the pool runs (BEGIN/COMMIT included) as
   * `lzy_db_statements_total{service}` in `registry`: pass the service's own, the one its gRPC
   * server exposes on /metrics. Default: not counted.
   */
  readonly metrics?: { readonly registry: Registry; readonly service: string } | undefined;
}

/** pg client settings shared by the pool and by dedicated connections (notification listener). */
export function toPgClientConfig(options: DatabaseConnectionOptions): pg.ClientConfig {
  const config: pg.ClientConfig = {
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  };
  if (options.url !== undefined) config.connectionString = options.url;
  if (options.host !== undefined) config.host = options.host;
  if (options.port !== undefined) config.port = options.port;
  if (options.user !== undefined) config.user = options.user;
  if (options.password !== undefined) config.password = options.password;
  if (options.database !== undefined) config.database = options.database;
  if (options.applicationName !== undefined) config.application_name = options.applicationName;
  return config;
}

/**
 * A pg pool whose clients map every driver error through `mapPgError`, so no pg error leaves
 * this package (STYLE.md §4): stores simply `await` their kysely queries. Every statement passes
 * here (kysely sends BEGIN/COMMIT through the same `query`), which is where it is counted.
 */
function mappingPool(pool: pg.Pool, counted: StatementCounter | undefined): PostgresPool {
  // Keyed by the pooled client so kysely's own per-client cache stays hit on re-acquisition.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let wrapper = wrappers.get(client);
    if (wrapper === undefined) {
      wrapper = {
        get processID() {
          return (client as unknown as { processID?: number }).processID;
        },
        query: (async (sql: string, parameters: ReadonlyArray<unknown>) => {
          counted?.inc();
          try {
            return await client.query(sql, parameters as unknown[]);
          } catch (err) {
            throw mapPgError(err);
          }
        }) as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
      wrappers.set(client, wrapper);
    }
    return wrapper;
  };
  return {
    options: pool.options,
    connect: async () => {
      try {
        return wrap(await pool.connect());
      } catch (err) {
        throw mapPgError(err);
      }
    },
    end: () => pool.end(),
  };
}

function queryLogger(log: DbLogger, slowQueryMs: number): (event: LogEvent) => void {
  return (event) => {
    const sql = event.query.sql;
    if (event.level === 'error') {
      const err = event.error;
      log.debug({ sql, durationMs: event.queryDurationMillis, err }, 'query failed');
    } else if (event.queryDurationMillis >= slowQueryMs) {
      log.warn({ sql, durationMs: event.queryDurationMillis }, 'slow query');
    }
  };
}

/**
 * A kysely instance over a pg pool. Does no I/O: connections open on the first query.
 * Every error a query raises is already mapped to `@lzy/errors` (see `mapPgError`).
 * Close it with `closeDatabase`.
 */
export function createDatabase<DB>(options: DatabaseOptions): Kysely<DB> {
  const poolConfig: pg.PoolConfig = {
    ...toPgClientConfig(options),
    max: options.poolMax ?? 10,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  };
  if (options.statementTimeoutMs !== undefined)
    poolConfig.statement_timeout = options.statementTimeoutMs;
  const pool = new pg.Pool(poolConfig);
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would kill the
  // process. The next query gets a fresh connection, so logging is enough.
  // pg-pool attaches the whole client to the error (`err.client`): log only what a reader needs.
  pool.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    options.log?.warn({ err: { message: err.message, code } }, 'idle database connection failed');
  });
  const log = options.log;
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool: mappingPool(pool, statementCounter(options.metrics)) }),
    ...(log === undefined ? {} : { log: queryLogger(log, options.slowQueryMs ?? 1_000) }),
  });
}

function statementCounter(metrics: DatabaseOptions['metrics']): StatementCounter | undefined {
  return metrics === undefined
    ? undefined
    : new StatementCounter(metrics.registry, metrics.service);
}

/** Closes the pool after running queries finish. Idempotent. */
export async function closeDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await db.destroy();
}
