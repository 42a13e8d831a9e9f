import type { Env } from '@lzy/config';
import { createLogger } from '@lzy/logging';
import type { CreateLoggerOptions, Logger } from '@lzy/logging';
import { loadAllocatorConfig, startAllocator } from '@lzy/allocator';
import { loadChannelManagerConfig, startChannelManager } from '@lzy/channel-manager';
import { loadGraphExecutorConfig, startGraphExecutor } from '@lzy/graph-executor';
import { loadIamConfig, startIam } from '@lzy/iam';
import { loadLzyServiceConfig, startLzyService } from '@lzy/lzy-service';
import { loadSchedulerConfig, startScheduler } from '@lzy/scheduler';
import { loadSiteConfig, startSite } from '@lzy/site';
import { loadStorageConfig, startStorage } from '@lzy/storage';
import { loadWhiteboardConfig, startWhiteboard } from '@lzy/whiteboard';
import { SUITE_SERVICES, suiteServiceEnv } from './suite-env.ts';
import type { SuiteInfra, SuiteService } from './suite-env.ts';

/** Default ports of `lzy up` (the public API on LZY's 8899, whiteboard on 8122). */
export const DEFAULT_PORTS: Readonly<Record<SuiteService, number>> = {
  iam: 8443,
  storage: 8134,
  'channel-manager': 8133,
  allocator: 8132,
  scheduler: 8131,
  'graph-executor': 8130,
  whiteboard: 8122,
  'lzy-service': 8899,
  site: 8137,
};

export interface LocalSuiteOptions {
  /** Each service logs as itself (`service` field) at `infra.logLevel`. */
  infra: SuiteInfra;
  /** true: every service on a free port (tests); false: DEFAULT_PORTS. */
  randomPorts: boolean;
  /**
   * With randomPorts: the port each service had in the last run of this installation, tried
   * first so that clients and VMs that outlived a crashed suite find it again; a service whose
   * port is taken meanwhile gets a free one.
   */
  lastPorts?: Partial<Record<SuiteService, number>>;
  /** Where the services' JSON log lines go (`pnpm start`: the log file). Default: stdout. */
  logDestination?: CreateLoggerOptions['destination'];
}

export interface LocalSuite {
  /** `host:port` of each service by name. */
  addresses: Readonly<Record<SuiteService, string>>;
  /**
   * `host:port` of the /metrics endpoint of each service that serves one (its LZY_METRICS_PORT
   * is set, e.g. through `infra.extraEnv`).
   */
  metricsAddresses: Readonly<Partial<Record<SuiteService, string>>>;
  /** The site's web address, `http://host:port`. */
  siteUrl: string;
  /** A one-time link signing `login` in to the site ('' when the suite runs no site). */
  siteLoginLink(login: string): Promise<string>;
  /** Stops every service in reverse start order (the allocator kills its VM processes). */
  stop(): Promise<void>;
}

interface Started {
  port: number;
  metricsPort?: number;
  /** The site's web port. */
  httpPort?: number;
  /** The site's one-time login links. */
  loginLink?: (login: string) => Promise<string>;
  /** Settles once the service's database is migrated and its unfinished work resumed. */
  ready?: Promise<boolean>;
  stop(): Promise<void>;
}

type Starter = (env: Env, log: Logger) => Promise<Started>;

/** Each builds the config through the service's own loader, exactly as its main.ts does. */
const STARTERS: Readonly<Record<SuiteService, Starter>> = {
  iam: (env, log) => startIam(loadIamConfig(env), { log }),
  storage: (env, log) => startStorage(loadStorageConfig(env), { log }),
  'channel-manager': (env, log) => startChannelManager(loadChannelManagerConfig(env), { log }),
  allocator: (env, log) => startAllocator(loadAllocatorConfig(env), { log }),
  scheduler: (env, log) => startScheduler(loadSchedulerConfig(env), { log }),
  'graph-executor': (env, log) => startGraphExecutor(loadGraphExecutorConfig(env), { log }),
  whiteboard: (env, log) => startWhiteboard(loadWhiteboardConfig(env), { log }),
  'lzy-service': (env, log) => startLzyService(loadLzyServiceConfig(env), { log }),
  site: (env, log) => startSite(loadSiteConfig(env), { log }),
};

/**
 * Starts the suite's services in this process, in dependency order, each told the addresses of
 * those before it. If one fails to start, the ones already running are stopped and the error
 * rethrown.
 */
export async function startLocalSuite(options: LocalSuiteOptions): Promise<LocalSuite> {
  const running: Started[] = [];
  const addresses: Partial<Record<SuiteService, string>> = {};
  const metricsAddresses: Partial<Record<SuiteService, string>> = {};
  let siteUrl = '';
  let siteLoginLink = (_login: string) => Promise.resolve('');
  const stop = async () => {
    for (const service of running.reverse()) await service.stop();
    running.length = 0;
  };
  try {
    for (const name of SUITE_SERVICES) {
      const log = createLogger({
        service: name,
        level: options.infra.logLevel,
        destination: options.logDestination,
      });
      const start = (port: number) =>
        STARTERS[name](
          suiteServiceEnv(name, options.infra, addresses, port, options.randomPorts),
          log,
        );
      const port = options.randomPorts ? (options.lastPorts?.[name] ?? 0) : DEFAULT_PORTS[name];
      const started = await start(port).catch((err: unknown) => {
        if (!options.randomPorts || port === 0 || !isBindFailure(err)) throw err;
        log.warn({ port }, 'the port of the last run is taken; listening on a free one');
        return start(0);
      });
      running.push(started);
      addresses[name] = `${options.infra.host}:${started.port}`;
      if (started.metricsPort !== undefined)
        metricsAddresses[name] = `${options.infra.host}:${started.metricsPort}`;
      if (started.httpPort !== undefined)
        siteUrl = `http://${options.infra.host}:${started.httpPort}`;
      if (started.loginLink !== undefined) siteLoginLink = started.loginLink;
    }
    // Up means ready: a call that comes before a service's database is migrated is refused
    // UNAVAILABLE. The services migrate in parallel; waiting once at the end costs the slowest.
    await Promise.all(running.map((service) => service.ready ?? Promise.resolve(true)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    addresses: addresses as Record<SuiteService, string>,
    metricsAddresses,
    siteUrl,
    siteLoginLink,
    stop,
  };
}

/** startGrpcServer's error for a port it cannot listen on (in use). */
function isBindFailure(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('cannot listen on ');
}
