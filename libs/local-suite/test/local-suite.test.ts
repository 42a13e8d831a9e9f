import { describe, expect, it } from 'vitest';
import { CleanupStack, checkHealth } from '@lzy/testing';
import { startLocalSuite } from '../src/local-suite.ts';
import { startSuiteProcesses } from '../src/suite-processes.ts';
import { SUITE_SERVICES } from '../src/suite-env.ts';
import { suiteInfra } from './suite-fixture.ts';

describe('local suite', () => {
  it('starts every service in one process on its own database, each answering health', async () => {
    await using cleanup = new CleanupStack();
    const suite = await startLocalSuite({
      infra: await suiteInfra(cleanup),
      randomPorts: true,
    });
    cleanup.push(suite);
    expect(Object.keys(suite.addresses).sort()).toEqual([...SUITE_SERVICES].sort());
    for (const address of Object.values(suite.addresses)) {
      expect(await checkHealth(address)).toBe('SERVING');
    }
  });

  it('starts every service as a separate process, each answering health', async () => {
    await using cleanup = new CleanupStack();
    const suite = await startSuiteProcesses(await suiteInfra(cleanup));
    cleanup.push(suite);
    for (const address of Object.values(suite.addresses)) {
      expect(await checkHealth(address)).toBe('SERVING');
    }
  });
});
