import { generateRsaKeyPair } from '@lzy/auth';
import type { CleanupStack } from '@lzy/testing';
import { hostEnv, s3Config, testDatabase } from '@lzy/testing';
import { SUITE_SERVICES, vmHostEnv } from './suite-env.ts';
import type { SuiteInfra, SuiteService } from './suite-env.ts';

/**
 * Infrastructure for one suite inside a vitest test (integration project): a fresh database per
 * service on the run's PostgreSQL (named `<prefix>_<service>`, dropped by `cleanup`), the run's
 * S3 server, a new internal key pair. VMs inherit what they would from a user's shell running
 * `pnpm start` in this test's environment (vmHostEnv).
 */
export async function testSuiteInfra(
  cleanup: CleanupStack,
  options: { prefix?: string; extraEnv?: SuiteInfra['extraEnv'] } = {},
): Promise<SuiteInfra> {
  const urls = new Map<SuiteService, string>();
  for (const service of SUITE_SERVICES) {
    const db = await testDatabase({
      name: `${options.prefix ?? 'suite'}_${service.replaceAll('-', '_')}`,
    });
    cleanup.defer(() => db.drop());
    urls.set(service, db.url);
  }
  return {
    host: '127.0.0.1',
    logLevel: 'silent',
    dbUrlFor: (service) => urls.get(service)!,
    s3: s3Config(),
    internalKeys: await generateRsaKeyPair(),
    vmEnv: vmHostEnv(hostEnv()),
    extraEnv: options.extraEnv,
  };
}
