import type { CleanupStack } from '@lzy/testing';
import { testSuiteInfra } from '../src/test-suite-infra.ts';
import type { SuiteInfra } from '../src/suite-env.ts';

/** Infrastructure for one suite in a test: see testSuiteInfra. */
export function suiteInfra(cleanup: CleanupStack): Promise<SuiteInfra> {
  return testSuiteInfra(cleanup);
}
