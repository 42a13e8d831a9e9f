import { fileURLToPath } from 'node:url';
import { startServiceProcess } from '@lzy/testing';
import type { ServiceProcess } from '@lzy/testing';
import { SUITE_SERVICES, suiteServiceEnv } from './suite-env.ts';
import type { SuiteInfra, SuiteService } from './suite-env.ts';
import type { LocalSuite } from './local-suite.ts';

/** main.ts of a service package, found through the package's own entry point. */
function mainPathOf(service: SuiteService): string {
  return fileURLToPath(new URL('./main.ts', import.meta.resolve(`@lzy/${service}`)));
}

/**
 * Starts the suite with every service as a process of its own (as in production), on free ports,
 * in dependency order. Used by the end-to-end tests; stop() sends SIGTERM to each in reverse order.
 */
export async function startSuiteProcesses(infra: SuiteInfra): Promise<LocalSuite> {
  const running: ServiceProcess[] = [];
  const addresses: Partial<Record<SuiteService, string>> = {};
  const stop = async () => {
    for (const service of running.reverse()) await service.stop('SIGTERM');
    running.length = 0;
  };
  try {
    for (const name of SUITE_SERVICES) {
      // The harness learns each port from the `started` log line, so info must be on.
      const env = { ...suiteServiceEnv(name, infra, addresses, 0), LZY_LOG_LEVEL: 'info' };
      const started = await startServiceProcess(mainPathOf(name), env);
      running.push(started);
      addresses[name] = `${infra.host}:${started.port}`;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  // The site's web port and metrics ports are not announced by the processes; tests that need
  // them start the suite in-process (startLocalSuite).
  return {
    addresses: addresses as Record<SuiteService, string>,
    metricsAddresses: {},
    siteUrl: '',
    siteLoginLink: () => Promise.resolve(''),
    stop,
  };
}
