import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@lzy/logging';
import type { CreateLoggerOptions } from '@lzy/logging';
import type { S3Config } from '@lzy/testing';
import { loadOrCreateKeyPair, loadOrCreateS3Credentials, writeClientConfig } from './local-home.ts';
import { ensureLocalUser } from './local-user.ts';
import { startLocalSuite } from './local-suite.ts';
import { startSuiteDatabase } from './suite-database.ts';
import { SUITE_SERVICES } from './suite-env.ts';
import type { SuiteService } from './suite-env.ts';
import { claimRunDir } from './suite-run-dir.ts';
import { startSuiteS3 } from './suite-s3.ts';
import type { LocalSuiteConfig } from './config.ts';

export interface RunningUp {
  endpoint: string;
  whiteboardEndpoint: string;
  /** The site's web address. */
  siteUrl: string;
  /** A one-time link that signs the local user in to the site. */
  siteLoginLink(): Promise<string>;
  user: string;
  keyPath: string;
  /** The local S3 server (endpoint and the suite's credentials). */
  s3: S3Config;
  /** The database it runs on (see LZY_UP_DATABASE). */
  database: 'postgres' | 'pglite';
  clientConfigPath: string;
  /**
   * How long each part of the start took (ms): the database and S3 started together, each
   * counted from the start; then the services and the local user, one after the other.
   */
  phasesMs: Record<'database' | 's3' | 'services' | 'user', number>;
  stop(): Promise<void>;
}

/**
 * `lzy up`: the embedded default. Under `$LZY_HOME` (default ~/.lzy) it keeps a PostgreSQL
 * cluster (one database per service; PGlite with a schema per service when the PostgreSQL
 * server binaries are absent, see startSuiteDatabase), the S3 server's objects, the internal and the local user's
 * key pairs; starts every service in this process; registers the local user with iam; writes
 * client.json for the SDKs and the CLI. stop() stops everything it started, VMs included.
 *
 * After a suite of the same home was killed (SIGKILL, the OOM killer), this
 * takes over: the PostgreSQL and S3 server it left running are stopped (each checked to be that
 * server of this home first) and started again on the same data, the services listen where they
 * did (ports.json, the S3 port), and the allocator adopts the VM processes still running, so
 * executions continue where they were.
 * @throws FailedPrecondition when a live suite already runs with this home.
 */
export async function startUp(
  config: LocalSuiteConfig,
  output: {
    /** Where every service's JSON log goes. Default: stdout. */
    logDestination?: CreateLoggerOptions['destination'];
    /** One `<vmId>.log` per VM process here; undefined: VM output in the allocator's log. */
    vmLogDir?: string | undefined;
  } = {},
): Promise<RunningUp> {
  const startedAt = performance.now();
  const phasesMs = { database: 0, s3: 0, services: 0, user: 0 };
  const home = config.home;
  const keysDir = join(home, 'keys');
  await mkdir(home, { recursive: true });
  const [internalKeys, userKeys, s3Credentials] = await Promise.all([
    loadOrCreateKeyPair(keysDir, 'internal'),
    loadOrCreateKeyPair(keysDir, 'user'),
    loadOrCreateS3Credentials(join(home, 's3-credentials.json')),
  ]);

  const log = createLogger({
    service: 'lzy-local',
    level: config.logLevel,
    destination: output.logDestination,
  });
  const runDir = await claimRunDir(home, log);
  // Released last: until everything it started is stopped, this home is taken.
  const stops: Array<() => Promise<void>> = [() => runDir.release()];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };
  // The database and the S3 server need nothing of each other: they start together, and each
  // is stopped (once it settled) when the other fails.
  const started = <T extends { stop(): Promise<void> }>(
    promise: Promise<T>,
    phase: keyof typeof phasesMs,
  ) =>
    promise.then((server) => {
      stops.push(() => server.stop());
      phasesMs[phase] = performance.now() - startedAt;
      return server;
    });
  const databaseStarted = started(
    startSuiteDatabase({
      kind: config.database,
      postgresDir: config.postgresDir,
      pgliteDir: config.pgliteDir,
      host: config.host,
      searchPath: config.searchPath,
      log,
    }),
    'database',
  );
  const s3Started = started(
    startSuiteS3({
      dir: join(home, 's3'),
      runDir: runDir.path,
      credentials: s3Credentials,
      log,
    }),
    's3',
  );
  try {
    const [database, s3] = await Promise.all([databaseStarted, s3Started]);
    let phaseStart = performance.now();
    const lap = (phase: keyof typeof phasesMs) => {
      const now = performance.now();
      phasesMs[phase] = now - phaseStart;
      phaseStart = now;
    };

    const suite = await startLocalSuite({
      randomPorts: config.randomPorts,
      lastPorts: runDir.lastPorts,
      logDestination: output.logDestination,
      infra: {
        host: config.host,
        logLevel: config.logLevel,
        dbUrlFor: (service) => database.dbUrlFor(service),
        s3: { endpoint: s3.endpoint, region: s3.region, ...s3Credentials },
        internalKeys,
        vmEnv: config.vmEnv,
        extraEnv: {
          // The local user operates this installation: the site shows them the operators' view.
          site: { LZY_SITE_ADMIN_LOGINS: config.user },
          ...(output.vmLogDir === undefined
            ? {}
            : { allocator: { LZY_ALLOCATOR_LOCAL_LOG_DIR: output.vmLogDir } }),
        },
      },
    });
    stops.push(() => suite.stop());
    await runDir.savePorts(portsOf(suite.addresses));
    lap('services');

    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: internalKeys.privateKeyPem,
      login: config.user,
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
    lap('user');
    const clientConfigPath = await writeClientConfig(home, {
      endpoint: suite.addresses['lzy-service'],
      whiteboardEndpoint: suite.addresses.whiteboard,
      user: config.user,
      keyPath: userKeys.privateKeyPath,
    });
    return {
      endpoint: suite.addresses['lzy-service'],
      whiteboardEndpoint: suite.addresses.whiteboard,
      siteUrl: suite.siteUrl,
      siteLoginLink: () => suite.siteLoginLink(config.user),
      user: config.user,
      keyPath: userKeys.privateKeyPath,
      database: database.kind,
      s3: { endpoint: s3.endpoint, region: s3.region, ...s3Credentials },
      clientConfigPath,
      phasesMs,
      stop,
    };
  } catch (err) {
    await Promise.allSettled([databaseStarted, s3Started]);
    await stop();
    throw err;
  }
}

/** The port of each `host:port`. */
function portsOf(addresses: Readonly<Record<SuiteService, string>>): Record<SuiteService, number> {
  return Object.fromEntries(
    SUITE_SERVICES.map((name) => [name, Number(addresses[name].split(':').pop())]),
  ) as Record<SuiteService, number>;
}
