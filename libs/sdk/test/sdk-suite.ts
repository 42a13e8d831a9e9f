import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRsaKeyPair } from '@lzy/auth';
import { SUITE_SERVICES, ensureLocalUser, startSuiteProcesses } from '@lzy/local-suite';
import type { SuiteService } from '@lzy/local-suite';
import type { CleanupStack } from '@lzy/testing';
import { s3Config, testDatabase } from '@lzy/testing';
import type { ClientConfig } from '../src/index.ts';

/**
 * The whole local suite, every service as its own process (as in production), on the test run's
 * PostgreSQL and S3 (as libs/local-suite's suiteInfra), a registered user `alice` and the client
 * config pointing at it.
 */
export async function startSdkSuite(cleanup: CleanupStack): Promise<ClientConfig> {
  const urls = new Map<SuiteService, string>();
  for (const service of SUITE_SERVICES) {
    const db = await testDatabase({ name: `sdk_${service.replaceAll('-', '_')}` });
    cleanup.defer(() => db.drop());
    urls.set(service, db.url);
  }
  const internalKeys = await generateRsaKeyPair();
  const suite = await startSuiteProcesses({
    host: '127.0.0.1',
    logLevel: 'silent',
    dbUrlFor: (service) => urls.get(service)!,
    s3: s3Config(),
    internalKeys,
    // Idle workers of finished workflows are reaped after 20 s instead of 10 min. Not shorter:
    // a consumer cannot yet read an output whose worker idled out meanwhile (known gap).
    extraEnv: { scheduler: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: '20000' } },
  });
  cleanup.push(suite);
  const userKeys = await generateRsaKeyPair();
  await ensureLocalUser({
    iamAddress: suite.addresses.iam,
    internalPrivateKeyPem: internalKeys.privateKeyPem,
    login: 'alice',
    publicKeyPem: userKeys.publicKeyPem,
    clock: { now: () => Date.now() },
  });
  const dir = await mkdtemp(join(tmpdir(), 'lzy-sdk-'));
  cleanup.defer(() => rm(dir, { recursive: true, force: true }));
  const keyPath = join(dir, 'user.pem');
  await writeFile(keyPath, userKeys.privateKeyPem, { mode: 0o600 });
  return {
    endpoint: suite.addresses['lzy-service'],
    whiteboardEndpoint: suite.addresses.whiteboard,
    user: 'alice',
    keyPath,
  };
}
