import { generateRsaKeyPair } from '@lzy/auth';
import { SUITE_SERVICES } from '@lzy/local-suite';
import type { SuiteInfra, SuiteService } from '@lzy/local-suite';
import type { CleanupStack } from '@lzy/testing';
import { s3Config, testDatabase } from '@lzy/testing';

/**
 * Infrastructure for one suite in a test (a copy of libs/local-suite/test/suite-fixture.ts): a
 * fresh database per service on the run's PostgreSQL, the run's S3 server, a new internal key
 * pair. The databases are dropped by `cleanup`.
 */
export async function suiteInfra(cleanup: CleanupStack): Promise<SuiteInfra> {
  const urls = new Map<SuiteService, string>();
  for (const service of SUITE_SERVICES) {
    const db = await testDatabase({ name: `cli_${service.replaceAll('-', '_')}` });
    cleanup.defer(() => db.drop());
    urls.set(service, db.url);
  }
  return {
    host: '127.0.0.1',
    logLevel: 'silent',
    dbUrlFor: (service) => urls.get(service)!,
    s3: s3Config(),
    internalKeys: await generateRsaKeyPair(),
  };
}
