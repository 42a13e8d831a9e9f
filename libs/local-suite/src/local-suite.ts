import type { Env } from '@lzy/config';
import type { Logger } from '@lzy/logging';
import { loadAllocatorConfig, startAllocator } from '@lzy/allocator';
import { loadChannelManagerConfig, startChannelManager } from '@lzy/channel-manager';
import { loadGraphExecutorConfig, startGraphExecutor } from '@lzy/graph-executor';
import { loadIamConfig, startIam } from '@lzy/iam';
import { loadLzyServiceConfig, startLzyService } from '@lzy/lzy-service';
import { loadPortalConfig, startPortal } from '@lzy/portal';
import { loadSchedulerConfig, startScheduler } from '@lzy/scheduler';
import { loadSiteConfig, startSite } from '@lzy/site';
import { loadStorageConfig, startStorage } from '@lzy/storage';
import { loadWhiteboardConfig, startWhiteboard } from '@lzy/whiteboard';
import { loadWorkerConfig, startWorker } from '@lzy/worker';

export interface LocalSuiteOptions {
  log: Logger;
  /** Interface every service binds. */
  host: string;
  /** true: every service on a free port (tests); false: each service's default port. */
  randomPorts: boolean;
}

export interface LocalSuite {
  /** gRPC port of each service by name. */
  ports: Readonly<Record<string, number>>;
  /** Stops every service, in reverse start order. */
  stop(): Promise<void>;
}

interface Started {
  port: number;
  stop(): Promise<void>;
}

/**
 * The services in dependency order (iam first: every other service authenticates through it).
 * Each entry builds its config through the service's own loader from a plain environment object,
 * exactly as main.ts does from process.env, and calls the same start function.
 */
const SERVICES: ReadonlyArray<readonly [string, (env: Env, log: Logger) => Promise<Started>]> = [
  ['iam', (env, log) => startIam(loadIamConfig(env), { log })],
  ['storage', (env, log) => startStorage(loadStorageConfig(env), { log })],
  ['allocator', (env, log) => startAllocator(loadAllocatorConfig(env), { log })],
  ['channel-manager', (env, log) => startChannelManager(loadChannelManagerConfig(env), { log })],
  ['scheduler', (env, log) => startScheduler(loadSchedulerConfig(env), { log })],
  ['graph-executor', (env, log) => startGraphExecutor(loadGraphExecutorConfig(env), { log })],
  ['whiteboard', (env, log) => startWhiteboard(loadWhiteboardConfig(env), { log })],
  ['portal', (env, log) => startPortal(loadPortalConfig(env), { log })],
  ['worker', (env, log) => startWorker(loadWorkerConfig(env), { log })],
  ['lzy-service', (env, log) => startLzyService(loadLzyServiceConfig(env), { log })],
  ['site', (env, log) => startSite(loadSiteConfig(env), { log })],
];

/**
 * Starts all eleven services in this process on loopback. If one fails to start, the ones already
 * running are stopped before the error is rethrown.
 */
export async function startLocalSuite(options: LocalSuiteOptions): Promise<LocalSuite> {
  const running: Array<[string, Started]> = [];
  const stop = async () => {
    for (const [, service] of running.reverse()) await service.stop();
    running.length = 0;
  };
  try {
    for (const [name, start] of SERVICES) {
      const env: Env = {
        LZY_HOST: options.host,
        ...(options.randomPorts ? { LZY_PORT: '0' } : {}),
      };
      running.push([name, await start(env, options.log.child({ service: name }))]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports: Object.fromEntries(running.map(([name, s]) => [name, s.port])), stop };
}
