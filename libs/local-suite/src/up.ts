import { join } from 'node:path';
import { startPostgres, startS3 } from '@lzy/testing';
import { loadOrCreateKeyPair, loadOrCreateS3Credentials, writeClientConfig } from './local-home.ts';
import { ensureLocalUser } from './local-user.ts';
import { startLocalSuite } from './local-suite.ts';
import { SUITE_SERVICES, databaseNameOf } from './suite-env.ts';
import type { LocalSuiteConfig } from './config.ts';

export interface RunningUp {
  endpoint: string;
  clientConfigPath: string;
  stop(): Promise<void>;
}

/**
 * `lzy up`: the embedded default. Under `$LZY_HOME` (default ~/.lzy) it keeps a PostgreSQL
 * cluster (one database per service), the S3 server's objects, the internal and the local user's
 * key pairs; starts every service in this process; registers the local user with iam; writes
 * client.json for the SDKs and the CLI. stop() stops everything it started, VMs included.
 */
export async function startUp(config: LocalSuiteConfig): Promise<RunningUp> {
  const home = config.home;
  const keysDir = join(home, 'keys');
  const internalKeys = await loadOrCreateKeyPair(keysDir, 'internal');
  const userKeys = await loadOrCreateKeyPair(keysDir, 'user');
  const s3Credentials = await loadOrCreateS3Credentials(join(home, 's3-credentials.json'));

  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };
  try {
    const pg = await startPostgres({ dir: config.postgresDir });
    stops.push(() => pg.stop());
    const existing = await pg.query<{ datname: string }>('SELECT datname FROM pg_database');
    const names = new Set(existing.rows.map((row) => row.datname));
    for (const service of SUITE_SERVICES) {
      if (!names.has(databaseNameOf(service))) await pg.createDatabase(databaseNameOf(service));
    }
    const s3 = await startS3({ dir: join(home, 's3'), credentials: s3Credentials });
    stops.push(() => s3.stop());

    const suite = await startLocalSuite({
      randomPorts: config.randomPorts,
      infra: {
        host: config.host,
        logLevel: config.logLevel,
        dbUrlFor: (service) => pg.urlFor(databaseNameOf(service)),
        s3: { endpoint: s3.endpoint, region: s3.region, ...s3Credentials },
        internalKeys,
      },
    });
    stops.push(() => suite.stop());

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
    return { endpoint: suite.addresses['lzy-service'], clientConfigPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
