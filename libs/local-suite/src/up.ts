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
  const home = config.home;
  const keysDir = join(home, 'keys');
  const internalKeys = await loadOrCreateKeyPair(keysDir, 'internal');
  const userKeys = await loadOrCreateKeyPair(keysDir, 'user');
  const s3Credentials = await loadOrCreateS3Credentials(join(home, 's3-credentials.json'));

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
  try {
    const database = await startSuiteDatabase({
      kind: config.database,
      postgresDir: config.postgresDir,
      pgliteDir: config.pgliteDir,
      host: config.host,
      searchPath: config.searchPath,
      log,
    });
    stops.push(() => database.stop());
    const s3 = await startSuiteS3({
      dir: join(home, 's3'),
      runDir: runDir.path,
      credentials: s3Credentials,
      log,
    });
    stops.push(() => s3.stop());

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

    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: internalKeys.privateKeyPem,
      login: config.user,
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
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
      stop,
    };
  } catch (err) {
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
