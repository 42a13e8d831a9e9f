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

/** The suite of separate processes, with what chaos tests need on top of LocalSuite. */
export interface SuiteProcesses extends LocalSuite {
  /** The pid of the service's current process. */
  pidOf(service: SuiteService): number;
  /**
   * Kills the service's process with `signal` (default SIGKILL), waits until it is gone, and
   * starts it again on the same port with the same database, as an orchestrator restarts a
   * crashed pod. Resolves once the new process logged `started`.
   */
  restart(service: SuiteService, signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the suite with every service as a process of its own (as in production), on free ports,
 * in dependency order. Used by the end-to-end tests; stop() sends SIGTERM to each in reverse order.
 */
export async function startSuiteProcesses(infra: SuiteInfra): Promise<SuiteProcesses> {
  const running = new Map<SuiteService, ServiceProcess>();
  const addresses: Partial<Record<SuiteService, string>> = {};
  const start = async (name: SuiteService, port: number) => {
    // The harness learns each port from the `started` log line, so info must be on.
    const env = { ...suiteServiceEnv(name, infra, addresses, port, true), LZY_LOG_LEVEL: 'info' };
    const started = await startServiceProcess(mainPathOf(name), env);
    running.set(name, started);
    addresses[name] = `${infra.host}:${started.port}`;
  };
  const stop = async () => {
    for (const [name, service] of [...running].reverse()) {
      running.delete(name);
      await service.stop('SIGTERM');
    }
  };
  const current = (service: SuiteService) => {
    const proc = running.get(service);
    if (proc === undefined) throw new Error(`${service} is not running`);
    return proc;
  };
  try {
    for (const name of SUITE_SERVICES) await start(name, 0);
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
    pidOf: (service) => current(service).pid,
    restart: async (service, signal = 'SIGKILL') => {
      const old = current(service);
      running.delete(service);
      await old.stop(signal);
      // The same port: the other services and the clients know this address.
      await start(service, old.port);
    },
  };
}
