import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { pollUntil } from './poll-until.ts';
import { PostgresAdmin } from './postgres-admin.ts';
import { ServerProcess } from './server-process.ts';

const execFileAsync = promisify(execFile);

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Directory holding initdb, postgres. Defaults to Debian's PostgreSQL 15. */
  readonly binDir?: string;
  /** Deadline for the server to accept connections (ms). Defaults to 30 s. */
  readonly readyTimeoutMs?: number;
  /** max_connections; every test file's pools share it. Defaults to 300. */
  readonly maxConnections?: number;
  /**
   * Keep the cluster in this directory instead of a temp dir: initdb only when it holds no
   * cluster yet, and nothing is removed on stop (the local suite's data survives restarts).
   */
  readonly dir?: string;
  /**
   * Also listen on this address and let clients from `allowFrom` (a CIDR) in without a password
   * (trust, like loopback): pods of a real test node reach the cluster there. Default: loopback.
   */
  readonly extraListen?: { readonly address: string; readonly allowFrom: string };
}

/** A running throwaway cluster: admin operations plus `stop()`. */
export interface PostgresCluster extends PostgresAdmin {
  /** Stops the server (fast shutdown), waits for it to exit, removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const START_ATTEMPTS = 3;

/**
 * Starts a throwaway PostgreSQL cluster in a temp dir, listening on 127.0.0.1 on a free port,
 * tuned for tests (no fsync; data is lost on crash, which is the point). Resolves once it
 * accepts connections. As root, initdb and postgres run as the `postgres` system user (initdb
 * refuses root); spawned directly with {uid, gid}, because su/runuser leak orphaned servers.
 * Throws with the server's output if it does not start; leaves nothing behind in that case.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const binDir = opts.binDir ?? '/usr/lib/postgresql/15/bin';
  const runAs = await postgresUser();
  const persistent = opts.dir !== undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'lzy-pg-')));
  try {
    await mkdir(dir, { recursive: true });
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    const dataDir = join(dir, 'data');
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { mode: 0o700 });
      if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
      await execFileAsync(
        join(binDir, 'initdb'),
        ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        { ...runAs },
      );
    }
    if (opts.extraListen !== undefined) {
      await appendFile(
        join(dataDir, 'pg_hba.conf'),
        `host all all ${opts.extraListen.allowFrom} trust\n`,
      );
    }
    return await startServer({ ...opts, binDir, dir, dataDir, runAs, persistent });
  } catch (err) {
    if (!persistent) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface ServerParams extends StartPostgresOptions {
  readonly binDir: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly runAs: { uid: number; gid: number } | undefined;
  readonly persistent: boolean;
}

/** Retries on a new port when another process took the one freePort() returned. */
async function startServer(params: ServerParams): Promise<PostgresCluster> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = new ServerProcess({
      command: join(params.binDir, 'postgres'),
      args: serverArgs(params, port),
      ...params.runAs,
      stopSignal: 'SIGINT',
      exitSignal: 'SIGQUIT',
      ...(params.persistent ? {} : { removeOnExit: params.dir }),
    });
    try {
      await pollUntil(() => canConnect(port), {
        timeoutMs: params.readyTimeoutMs ?? 30_000,
        signal: server.exited,
        description: `PostgreSQL on 127.0.0.1:${port} accepts connections`,
      });
    } catch (err) {
      await server.stop();
      if (attempt < START_ATTEMPTS && server.output.includes('could not bind')) continue;
      throw err;
    }
    return clusterOf(new PostgresAdmin({ host: '127.0.0.1', port, user: SUPERUSER }), () =>
      server
        .stop()
        .then(() =>
          params.persistent ? undefined : rm(params.dir, { recursive: true, force: true }),
        ),
    );
  }
}

function serverArgs(params: ServerParams, port: number): string[] {
  const settings = {
    listen_addresses: ['127.0.0.1', params.extraListen?.address].filter(Boolean).join(','),
    max_connections: String(params.maxConnections ?? 300),
    // A throwaway test cluster trades durability for speed; a persistent one keeps its data.
    fsync: params.persistent ? 'on' : 'off',
    synchronous_commit: params.persistent ? 'on' : 'off',
    full_page_writes: params.persistent ? 'on' : 'off',
    logging_collector: 'off',
  };
  const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  return ['-D', params.dataDir, '-p', String(port), '-k', params.dir, ...flags];
}

async function canConnect(port: number): Promise<true> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
  await client.connect();
  try {
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end();
  }
}

function clusterOf(admin: PostgresAdmin, stop: () => Promise<void>): PostgresCluster {
  let stopping: Promise<void> | undefined;
  return Object.assign(admin, { stop: () => (stopping ??= stop()) });
}

/** uid/gid of the `postgres` system user when running as root; undefined otherwise. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const { stdout } = await execFileAsync('id', ['-u', SUPERUSER]);
  const { stdout: gid } = await execFileAsync('id', ['-g', SUPERUSER]);
  return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
}
