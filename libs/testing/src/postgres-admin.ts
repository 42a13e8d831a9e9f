import pg from 'pg';
import { pollUntil } from './poll-until.ts';

/** Where a test PostgreSQL cluster listens; plain data, passed from the global setup to tests. */
export interface PostgresInfo {
  readonly host: string;
  readonly port: number;
  /** A superuser; pg_hba trusts loopback connections, so there is no password. */
  readonly user: string;
}

/** SQLSTATE 55006: CREATE DATABASE … TEMPLATE while someone is connected to the template. */
const OBJECT_IN_USE = '55006';
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Database administration on a test cluster (create, clone, drop). Each call opens and closes its
 * own connection to the `postgres` database, so instances hold nothing and need no closing.
 */
export class PostgresAdmin {
  readonly host: string;
  readonly port: number;
  readonly user: string;

  constructor(info: PostgresInfo) {
    this.host = info.host;
    this.port = info.port;
    this.user = info.user;
  }

  /** Serializable connection info, e.g. for vitest's `provide`. */
  get info(): PostgresInfo {
    return { host: this.host, port: this.port, user: this.user };
  }

  /** Superuser URL of the `postgres` maintenance database. */
  get adminUrl(): string {
    return this.urlFor('postgres');
  }

  urlFor(database: string): string {
    const user = encodeURIComponent(this.user);
    return `postgres://${user}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /**
   * Creates `name`, optionally as a copy of `template`. Retries for up to 10 s while the template
   * still has connections (a migration's pool may take a moment to disconnect). Throws if `name`
   * exists or is not a valid identifier (≤ 63 bytes).
   */
  async createDatabase(name: string, opts: { template?: string } = {}): Promise<void> {
    assertIdentifier(name);
    const template = opts.template;
    let sql = `CREATE DATABASE ${pg.escapeIdentifier(name)}`;
    if (template !== undefined) sql += ` TEMPLATE ${pg.escapeIdentifier(template)}`;
    const outcome = await pollUntil(
      async () => {
        try {
          await this.query(sql);
          return { ok: true } as const;
        } catch (err) {
          if (isPgError(err, OBJECT_IN_USE)) throw err; // the template still has sessions: retry
          return { ok: false, err } as const;
        }
      },
      { timeoutMs: 10_000, description: `no sessions on template database ${template}` },
    );
    if (!outcome.ok) throw outcome.err;
  }

  /** Drops `name`, disconnecting its sessions. Idempotent: a missing database is fine. */
  async dropDatabase(name: string): Promise<void> {
    await this.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  }

  /** Runs one statement on the maintenance database as the superuser. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    return this.withClient((client) => client.query<R>(sql, params));
  }

  /** Runs `fn` on a fresh connection to the maintenance database and closes it afterwards. */
  async withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
}

function assertIdentifier(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new Error(`database name "${name}" must be 1..${MAX_IDENTIFIER_BYTES} bytes`);
  }
}

export function isPgError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
}
