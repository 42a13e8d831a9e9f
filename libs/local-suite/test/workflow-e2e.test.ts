import { describe, expect, it } from 'vitest';
import { generateRsaKeyPair } from '@lzy/auth';
import { CleanupStack, s3Config } from '@lzy/testing';
import { ensureLocalUser } from '../src/local-user.ts';
import { startLocalSuite } from '../src/local-suite.ts';
import type { LocalSuite } from '../src/local-suite.ts';
import { startSuiteProcesses } from '../src/suite-processes.ts';
import type { SuiteInfra } from '../src/suite-env.ts';
import { runDoubleIt } from './double-it-workflow.ts';
import { suiteInfra } from './suite-fixture.ts';

const SUITES: ReadonlyArray<readonly [string, (infra: SuiteInfra) => Promise<LocalSuite>]> = [
  ['all services in one process', (infra) => startLocalSuite({ infra, randomPorts: true })],
  ['every service as its own process', (infra) => startSuiteProcesses(infra)],
];

describe.each(SUITES)('a workflow through the local suite (%s)', (_mode, startSuite) => {
  it('runs two dependent shell ops and stores their outputs in S3', async () => {
    await using cleanup = new CleanupStack();
    const infra = await suiteInfra(cleanup);
    const suite = await startSuite(infra);
    cleanup.push(suite);
    const userKeys = await generateRsaKeyPair();
    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
      login: 'alice',
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
    const result = await runDoubleIt({
      endpoint: suite.addresses['lzy-service'],
      login: 'alice',
      privateKeyPem: userKeys.privateKeyPem,
      s3: s3Config(),
      cleanup,
    });
    expect(result.outcome).toBe('completed');
    expect(result.doubled).toBe('42');
    expect(result.stdout).toContain('producing');
  });
});
