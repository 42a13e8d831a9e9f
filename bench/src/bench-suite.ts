import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateRsaKeyPair } from '@lzy/auth';
import {
  SUITE_SERVICES,
  databaseNameOf,
  ensureLocalUser,
  startLocalSuite,
  vmHostEnv,
} from '@lzy/local-suite';
import type { LocalSuite, SuiteInfra, SuiteService } from '@lzy/local-suite';
import { startPostgres, startS3 } from '@lzy/testing';
import type { S3Server } from '@lzy/testing';
import type { ClientConfig } from '@lzy/sdk';

/** A local suite for one benchmark run: what `lzy up` starts, in a throwaway directory. */
export interface BenchSuite {
  config: ClientConfig;
  /** A postgres:// URL of a scratch database on the suite's cluster (for baselines). */
  scratchDbUrl: string;
  /** The suite's S3 server (for baselines). */
  s3: S3Server;
  /** `host:port` of each service's /metrics (every service that has one: the site has none). */
  metricsAddresses: LocalSuite['metricsAddresses'];
  /**
   * Wall time of each start phase (ms), one after another: PostgreSQL and S3 start together,
   * `postgres` until the cluster and its databases are ready, `s3` what S3 took beyond that
   * (so `postgres + s3` is the wall time of the infrastructure).
   */
  phasesMs: Record<'postgres' | 's3' | 'services' | 'user', number>;
  stop(): Promise<void>;
  /**
   * Registers another iam user `login` with its own key pair (as `lzy add-user` does) and
   * returns its client config; the key file lives in the suite's directory.
   */
  addUser(login: string): Promise<ClientConfig>;
}

/**
 * Starts PostgreSQL, versitygw and every service in this process exactly as `lzy up` does
 * (libs/local-suite/src/up.ts), with a fresh cluster and bucket directory, services on free
 * ports, logs silenced, each service's /metrics on a free port (counters to profile with; a
 * scrape only when a benchmark asks). `extraEnv` tunes one service (e.g. the VM idle timeout).
 */
export async function startBenchSuite(extraEnv: SuiteInfra['extraEnv'] = {}): Promise<BenchSuite> {
  const dir = await mkdtemp(join(tmpdir(), 'lzy-bench-'));
  const stops: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };
  const phasesMs = { postgres: 0, s3: 0, services: 0, user: 0 };
  let t = performance.now();
  const lap = (phase: keyof typeof phasesMs) => {
    const now = performance.now();
    phasesMs[phase] = now - t;
    t = now;
  };
  // Started together (none needs another); on a failure each is stopped once it settled.
  const started = <T>(promise: Promise<T>, stopOf: (value: T) => () => Promise<void>) =>
    promise.then((value) => {
      stops.push(stopOf(value));
      return value;
    });
  const keys = generateRsaKeyPair();
  const s3Started = started(startS3({ dir: join(dir, 's3') }), (s3) => () => s3.stop());
  const pgStarted = started(startPostgres(), (pgCluster) => () => pgCluster.stop()).then(
    async (pgCluster) => {
      const names = [...SUITE_SERVICES.map(databaseNameOf), 'bench_scratch'];
      await Promise.all(names.map((name) => pgCluster.createDatabase(name)));
      return pgCluster;
    },
  );
  // Awaited below one after another: a failure of a later one must not go unhandled meanwhile.
  for (const promise of [keys, s3Started, pgStarted]) promise.catch(() => undefined);
  try {
    const pgCluster = await pgStarted;
    lap('postgres');
    const s3 = await s3Started;
    lap('s3');
    const internalKeys = await keys;
    const suite = await startLocalSuite({
      randomPorts: true,
      infra: {
        host: '127.0.0.1',
        // BENCH_LOG_LEVEL=info: services log JSON to stdout (profiling by timestamps).
        logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent',
        dbUrlFor: (service) => pgCluster.urlFor(databaseNameOf(service)),
        s3: {
          endpoint: s3.endpoint,
          region: s3.region,
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
        },
        internalKeys,
        vmEnv: vmHostEnv(process.env),
        extraEnv: withMetricsPorts(extraEnv),
      },
    });
    stops.push(() => suite.stop());
    lap('services');
    const addUser = async (login: string, keyFile = `${login}.pem`): Promise<ClientConfig> => {
      const userKeys = await generateRsaKeyPair();
      await ensureLocalUser({
        iamAddress: suite.addresses.iam,
        internalPrivateKeyPem: internalKeys.privateKeyPem,
        login,
        publicKeyPem: userKeys.publicKeyPem,
        clock: { now: () => Date.now() },
      });
      const keyPath = join(dir, keyFile);
      await writeFile(keyPath, userKeys.privateKeyPem, { mode: 0o600 });
      return {
        endpoint: suite.addresses['lzy-service'],
        whiteboardEndpoint: suite.addresses.whiteboard,
        user: login,
        keyPath,
      };
    };
    const config = await addUser('bench', 'user.pem');
    lap('user');
    return {
      config,
      scratchDbUrl: pgCluster.urlFor('bench_scratch'),
      s3,
      metricsAddresses: suite.metricsAddresses,
      phasesMs,
      stop,
      addUser: (login) => addUser(login),
    };
  } catch (err) {
    await Promise.allSettled([keys, s3Started, pgStarted]);
    await stop();
    throw err;
  }
}

/** `extraEnv` with LZY_METRICS_PORT=0 (a free port) for every service that does not set its own. */
function withMetricsPorts(extraEnv: SuiteInfra['extraEnv']): SuiteInfra['extraEnv'] {
  return Object.fromEntries(
    SUITE_SERVICES.map((s: SuiteService) => [s, { LZY_METRICS_PORT: '0', ...extraEnv?.[s] }]),
  );
}

/** One committed INSERT on `url` per call, over one connection (the "durable state" baseline). */
export async function pgCommitter(
  url: string,
): Promise<{ commit(): Promise<void>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    'CREATE TABLE IF NOT EXISTS bench_commit (id serial PRIMARY KEY, at timestamptz)',
  );
  return {
    commit: async () => {
      await client.query('BEGIN');
      await client.query('INSERT INTO bench_commit (at) VALUES (now())');
      await client.query('COMMIT');
    },
    close: () => client.end(),
  };
}
