import { closeDatabase, createDatabase, startDatabaseInBackground } from '@lzy/db';
import {
  IamAuthenticator,
  MetricsRegistry,
  createChannelClient,
  internalCallCredentials,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator, Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { iamAuthService } from '@lzy/proto';
import { AllocatorClient } from './clients/allocator-client.ts';
import { PortalNotices } from './clients/portal-notices.ts';
import { GrpcWorkerLinks } from './clients/worker-link.ts';
import type { SchedulerConfig } from './config.ts';
import { HeldVmStore } from './db/held-vm-store.ts';
import { schedulerMigrations } from './db/migrations/index.ts';
import type { SchedulerDatabase } from './db/schema.ts';
import { SessionStore } from './db/session-store.ts';
import { TaskStore } from './db/task-store.ts';
import { AllocatorSessions } from './domain/allocator-sessions.ts';
import { Dispatcher } from './domain/dispatcher.ts';
import { SchedulerCore } from './domain/scheduler.ts';
import { TaskEvents } from './domain/task-events.ts';
import { TaskWriter } from './domain/task-writer.ts';
import { VmKeeper } from './domain/vm-keeper.ts';
import { Readiness } from './rpc/readiness.ts';
import { schedulerService } from './rpc/scheduler-service.ts';

export interface SchedulerDeps {
  log: Logger;
  /** Inbound auth; default: IamAuthenticator against LZY_IAM_ADDRESS. Tests inject their own. */
  authenticator?: Authenticator;
  clock?: Clock;
}

export interface RunningScheduler {
  port: number;
  metricsPort?: number;
  /**
   * true once the database is migrated and unfinished tasks are resumed; false if stopped
   * first. Never rejects.
   */
  ready: Promise<boolean>;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_NAME = 'lzy.internal.scheduler.v1.SchedulerService';

/**
 * Starts the scheduler service (warm dispatch, see Dispatcher): takes graphs' tasks with their
 * dependencies, holds worker VMs per session and sends tasks to them over one long-lived stream
 * each, following them by push. The database is migrated in the background (retrying
 * while PostgreSQL is unreachable); until then SchedulerService is NOT_SERVING and answers
 * UNAVAILABLE, the server-wide health stays SERVING.
 */
export async function startScheduler(
  config: SchedulerConfig,
  deps: SchedulerDeps,
): Promise<RunningScheduler> {
  const { log } = deps;
  const clock = deps.clock ?? { now: () => Date.now() };
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db = createDatabase<SchedulerDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'scheduler' },
    applicationName: 'lzy-scheduler',
    log: log.child({ component: 'db' }),
  });
  const pem = config.internalPrivateKeyPem;
  if (pem === undefined) log.warn('LZY_INTERNAL_PRIVATE_KEY unset: outbound calls carry no token');
  const clientOptions = {
    metricsRegistry,
    ...(pem === undefined
      ? {}
      : { callCredentials: internalCallCredentials({ privateKeyPem: pem, clock }) }),
  };
  const allocator = new AllocatorClient(config.allocatorAddress, clientOptions);
  // grpc-js connects on the first call: unused when the authenticator is injected.
  const iamClient = createChannelClient(
    iamAuthService.LzyAuthenticateServiceClient,
    config.iamAddress,
  );
  const authenticator = deps.authenticator ?? new IamAuthenticator({ client: iamClient, clock });

  const store = new TaskStore({ db, clock });
  const events = new TaskEvents();
  const writer = new TaskWriter({ store, events, log, retryBackoffMs: config.retryBackoffMs });
  const notices = new PortalNotices({ options: clientOptions, log });
  const dispatcher = new Dispatcher({
    writer,
    clock,
    log,
    maxVmsPerUser: config.maxVmsPerUser,
    notices,
  });
  const keeper = new VmKeeper(
    {
      allocator,
      sessions: new AllocatorSessions({
        store: new SessionStore({ db, clock }),
        allocator,
        idleTimeoutMs: config.vmIdleTimeoutMs,
      }),
      store: new HeldVmStore({ db, clock }),
      links: new GrpcWorkerLinks({
        options: clientOptions,
        log,
        retryBackoffMs: config.retryBackoffMs,
      }),
      log,
      lingerMs: config.vmLingerMs,
    },
    {
      onReady: (vm) => dispatcher.onVmReady(vm),
      onWorkerEvent: (vm, event) => dispatcher.onWorkerEvent(vm, event),
      onLost: (vm, reason) => dispatcher.onVmLost(vm, reason),
      onAllocationFailed: (vm, code, message) => dispatcher.onAllocationFailed(vm, code, message),
      onReleased: (vm) => dispatcher.onVmReleased(vm),
    },
  );
  dispatcher.attach(keeper);
  const core = new SchedulerCore({
    store,
    heldVms: new HeldVmStore({ db, clock }),
    events,
    writer,
    dispatcher,
    keeper,
    allocator,
    clock,
    log,
  });
  const readiness = new Readiness({
    services: [SERVICE_NAME],
    unavailableMessage: 'the scheduler is starting (database not ready yet)',
  });
  const closeClients = () => {
    allocator.close();
    iamClient.close();
    notices.close();
  };

  let server;
  try {
    server = await startGrpcServer({
      name: 'scheduler',
      ...config.server,
      metricsRegistry,
      log,
      authenticator,
      services: [schedulerService({ core, store, events, readiness })],
    });
  } catch (err) {
    closeClients();
    await closeDatabase(db);
    throw err;
  }
  readiness.attach(server.health);
  const database = startDatabaseInBackground({
    db,
    migrations: config.migrateOnStart ? schedulerMigrations : undefined,
    steps: [{ name: 'resume held VMs and unfinished tasks', run: () => core.start() }],
    onReady: () => {
      readiness.markReady();
      log.info('scheduler ready');
    },
    initialBackoffMs: config.retryBackoffMs,
    log,
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const startupStopped = database.stop();
    await server.stop();
    await startupStopped;
    await core.shutdown();
    closeClients();
    await closeDatabase(db);
  };
  return {
    port: server.port,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    ready: database.ready,
    stop: () => (stopping ??= stop()),
  };
}
