import { generateRsaKeyPair } from '@lzy/auth';
import type { CleanupStack } from '@lzy/testing';
import { hostToolEnv, s3Config, testDatabase } from '@lzy/testing';
import { SUITE_SERVICES } from './suite-env.ts';
import type { SuiteInfra, SuiteService } from './suite-env.ts';

/**
 * Infrastructure for one suite inside a vitest test (integration project): a fresh database per
 * service on the run's PostgreSQL (named `<prefix>_<service>`, dropped by `cleanup`), the run's
 * S3 server, a new internal key pair. The allocator (and so its worker VMs) also gets this
 * machine's HOME and TLS/proxy settings, which uv needs to build Python environments.
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
    extraEnv: {
      ...options.extraEnv,
      allocator: { ...hostToolEnv(), ...options.extraEnv?.allocator },
    },
  };
}
