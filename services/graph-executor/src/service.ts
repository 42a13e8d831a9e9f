import type { Kysely } from 'kysely';
import { closeDatabase, createDatabase, startDatabaseInBackground } from '@lzy/db';
import {
  MetricsRegistry,
  createChannelClient,
  IamAuthenticator,
  internalCallCredentials,
  ReadinessGate,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator, Clock, GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { iamAuthService, scheduler } from '@lzy/proto';
import { SchedulerClient } from './clients/scheduler-client.ts';
import type { GraphExecutorConfig } from './config.ts';
import { GraphStore } from './db/graph-store.ts';
import type { GraphExecutorDatabase } from './db/graph-store.ts';
import { graphExecutorMigrations } from './db/migrations/index.ts';
import { GraphRunner } from './domain/graph-runner.ts';
import { graphExecutorService } from './rpc/graph-executor-service.ts';

export interface GraphExecutorDeps {
  log: Logger;
  /** Verifies inbound calls; default: IamAuthenticator against LZY_IAM_ADDRESS. */
  authenticator?: Authenticator;
  clock?: Clock;
}

export interface RunningGraphExecutor {
  port: number;
  metricsPort?: number;
  /**
   * true once the database is migrated, unfinished graphs resumed and the service SERVING;
   * false if stopped first. Never rejects.
   */
  ready: Promise<boolean>;
  /** Ends watches, drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the graph-executor service: validates graphs of tasks and releases each task to the
 * scheduler as soon as its producers succeeded (statuses pushed by WatchTasks). Does not fail
 * when PostgreSQL is unreachable: migrates and resumes unfinished graphs in the background,
 * NOT_SERVING until then.
 */
export async function startGraphExecutor(
  config: GraphExecutorConfig,
  deps: GraphExecutorDeps,
): Promise<RunningGraphExecutor> {
  const clock = deps.clock ?? { now: () => Date.now() };
  const log = deps.log;
  let iamClient: iamAuthService.LzyAuthenticateServiceClient | undefined;
  let authenticator = deps.authenticator;
  if (authenticator === undefined) {
    iamClient = createChannelClient(iamAuthService.LzyAuthenticateServiceClient, config.iamAddress);
    authenticator = new IamAuthenticator({ client: iamClient, clock });
  }
  const privateKeyPem = config.internalPrivateKeyPem;
  if (privateKeyPem === undefined)
    log.warn('LZY_INTERNAL_PRIVATE_KEY is not set: calls to the scheduler carry no credentials');
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const schedulerClient = createChannelClient(
    scheduler.SchedulerServiceClient,
    config.schedulerAddress,
    {
      metricsRegistry,
      ...(privateKeyPem === undefined
        ? {}
        : { callCredentials: internalCallCredentials({ privateKeyPem, clock }) }),
    },
  );
  const db: Kysely<GraphExecutorDatabase> = createDatabase<GraphExecutorDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'graph-executor' },
    applicationName: 'graph-executor',
    log,
  });
  const runner = new GraphRunner({
    store: new GraphStore({ db }),
    scheduler: new SchedulerClient({ client: schedulerClient }),
    log,
  });
  const closeClients = async () => {
    schedulerClient.close();
    iamClient?.close();
    await closeDatabase(db);
  };

  const service = graphExecutorService(runner);
  // Health only: calls are served as soon as they can be (not gated), as before.
  const gate = new ReadinessGate({ services: [service] });
  let server: GrpcServer;
  try {
    server = await startGrpcServer({
      name: 'graph-executor',
      ...config.server,
      metricsRegistry,
      log,
      authenticator,
      services: [service],
    });
  } catch (err) {
    await closeClients();
    throw err;
  }
  gate.attach(server.health);
  const database = startDatabaseInBackground({
    db,
    migrations: graphExecutorMigrations,
    steps: [{ name: 'resume unfinished graphs', run: () => runner.resume() }],
    onReady: () => gate.markReady(),
    log: log.child({ component: 'database-startup' }),
  });
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await database.stop();
    await runner.close();
    await server.stop();
    await closeClients();
  };
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    ready: database.ready,
    stop: () => (stopping ??= stop()),
  };
}
