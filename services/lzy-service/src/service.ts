import { lookup } from 'node:dns/promises';
import { SecretBox } from '@lzy/auth';
import {
  closeDatabase,
  createDatabase,
  NotificationListener,
  startDatabaseInBackground,
} from '@lzy/db';
import {
  MetricsRegistry,
  createChannelClient,
  IamAuthenticator,
  internalCallCredentials,
  ReadinessGate,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import {
  longRunningService,
  OperationRunner,
  OperationStore,
  operationsService,
  packMessage,
} from '@lzy/operations';
import type { Clock } from '@lzy/operations';
import { iamAuthService, lzyWorkflowService } from '@lzy/proto';
import { createNeighbours } from './clients/neighbours.ts';
import type { LzyServiceConfig } from './config.ts';
import { ExecutionStore } from './db/execution-store.ts';
import { GraphStore } from './db/graph-store.ts';
import { migrations } from './db/migrations/index.ts';
import { EXECUTION_CHANGED_CHANNEL } from './db/migrations/0003_monitor.ts';
import { MonitorStore } from './db/monitor-store.ts';
import type { LzyServiceDb } from './db/schema.ts';
import {
  ExecutionTeardown,
  abortExecutionKind,
  finishWorkflowKind,
} from './domain/execution-teardown.ts';
import { EndpointPolicy } from './domain/endpoint-policy.ts';
import { ExecutionActivity } from './domain/execution-activity.ts';
import { ExecutionMonitor } from './domain/execution-monitor.ts';
import { ExecutionReaper } from './domain/execution-reaper.ts';
import { recordGraphPlans } from './domain/graph-plan-recorder.ts';
import { GraphTracker } from './domain/graph-tracker.ts';
import { GraphWatch } from './domain/graph-watch.ts';
import { Graphs } from './domain/graphs.ts';
import type { Neighbours } from './domain/ports.ts';
import { Workflows } from './domain/workflows.ts';
import { monitorService } from './rpc/monitor-service.ts';
import { workflowService } from './rpc/workflow-service.ts';
import { workflowWatchService } from './rpc/workflow-watch-service.ts';

export interface LzyServiceDeps {
  log: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: IamAuthenticator against LZY_IAM_ADDRESS. */
  authenticator?: Authenticator;
  /** Default: gRPC clients of the configured addresses. */
  neighbours?: Neighbours;
}

export interface RunningLzyService {
  port: number;
  metricsPort?: number;
  /** Resolves once the database is migrated and operations resumed (false if stopped first). */
  ready: Promise<boolean>;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

const WORKFLOW_SERVICE = 'ai.lzy.v1.workflow.LzyWorkflowService';
const WORKFLOW_WATCH_SERVICE = 'ai.lzy.v1.workflow.LzyWorkflowWatchService';

/**
 * Starts lzy-service, the public entrypoint: LzyWorkflowService, LongRunningService and
 * OperationsService on one port (public-api §0), our LzyWorkflowWatchService beside them. Does
 * not fail while PostgreSQL is unreachable: migrations retry in the background and the workflow
 * services report NOT_SERVING until then.
 */
export async function startLzyService(
  config: LzyServiceConfig,
  deps: LzyServiceDeps,
): Promise<RunningLzyService> {
  const log = deps.log;
  const clock = deps.clock ?? { now: () => Date.now() };
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db = createDatabase<LzyServiceDb>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'lzy-service' },
    applicationName: 'lzy-service',
    log,
  });
  const iamClient =
    deps.authenticator === undefined
      ? createChannelClient(iamAuthService.LzyAuthenticateServiceClient, config.iamAddress)
      : undefined;
  const authenticator = deps.authenticator ?? new IamAuthenticator({ client: iamClient!, clock });
  const callCredentials =
    config.internalPrivateKeyPem === undefined
      ? undefined
      : internalCallCredentials({ privateKeyPem: config.internalPrivateKeyPem, clock });
  if (callCredentials === undefined) {
    log.warn('LZY_INTERNAL_PRIVATE_KEY is not set: calls to other services carry no credentials');
  }
  const created =
    deps.neighbours === undefined
      ? createNeighbours(config, callCredentials, metricsRegistry)
      : undefined;
  // The site's execution monitor (issue 14) observes submitted graphs through the ports.
  const monitorStore = new MonitorStore({ db });
  const neighbours = recordGraphPlans(deps.neighbours ?? created!.neighbours, {
    store: monitorStore,
    clock,
    log,
  });
  const listener = new NotificationListener({ connection: { url: config.dbUrl }, log });
  const monitor = new ExecutionMonitor({
    store: monitorStore,
    changes: listener,
    channel: EXECUTION_CHANGED_CHANNEL,
    log: log.child({ component: 'execution-monitor' }),
  });

  const operations = new OperationStore<LzyServiceDb>({ db, clock });
  const runner = new OperationRunner<LzyServiceDb>({ db, store: operations, clock, log });
  const executions = new ExecutionStore({ db, box: new SecretBox(config.encryptionKeys) });
  const graphStore = new GraphStore({ db });
  const tracker = new GraphTracker({
    graphs: neighbours.graphs,
    portal: neighbours.portal,
    allocator: neighbours.allocator,
    store: graphStore,
    log: log.child({ component: 'graph-tracker' }),
  });
  const teardown = new ExecutionTeardown({
    neighbours,
    executions,
    graphStore,
    tracker,
    portalFinishTimeoutMs: config.portalFinishTimeoutMs,
    portalUnreachableMs: config.portalUnreachableMs,
    clock,
    log,
  });
  runner.register(
    finishWorkflowKind(teardown, packMessage(lzyWorkflowService.FinishWorkflowResponse, {})),
  );
  runner.register(
    abortExecutionKind(teardown, packMessage(lzyWorkflowService.AbortWorkflowResponse, {})),
  );
  // Activity is written at most once a minute per execution; the reaper passes as often.
  const activityIntervalMs = Math.min(60_000, Math.ceil(config.executionIdleTimeoutMs / 4));
  const activity = new ExecutionActivity({
    store: executions,
    clock,
    log,
    flushIntervalMs: activityIntervalMs,
  });
  const reaper = new ExecutionReaper({
    executions,
    activity,
    operations,
    runner,
    clock,
    log: log.child({ component: 'execution-reaper' }),
    idleTimeoutMs: config.executionIdleTimeoutMs,
    intervalMs: activityIntervalMs,
  });
  const workflows = new Workflows({
    neighbours,
    executions,
    endpoints: new EndpointPolicy({
      resolveHost: async (host) =>
        (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
      trustedEndpoints: config.trustedS3Endpoints,
      allowedNetworks: config.userS3AllowedNetworks,
    }),
    runner,
    operations,
    clock,
    log,
    portalPool: config.portalPool,
    portalAllocationTimeoutMs: config.portalAllocationTimeoutMs,
    activity,
    maxActiveExecutionsPerUser: config.maxActiveExecutionsPerUser,
  });
  const graphs = new Graphs({ neighbours, workflows, store: graphStore, tracker, clock, log });
  const graphWatch = new GraphWatch({ graphs, tracker, activity });

  // Calls before the schema is migrated and unfinished work resumed answer UNAVAILABLE, which
  // clients retry (pylzy for two minutes): answering them half-prepared gave INTERNAL.
  const readiness = new ReadinessGate({
    services: [WORKFLOW_SERVICE, WORKFLOW_WATCH_SERVICE],
    unavailableMessage: 'lzy-service is starting (database not ready yet); retry',
  });
  const server = await startGrpcServer({
    name: 'lzy-service',
    ...config.server,
    metricsRegistry,
    log,
    authenticator,
    services: [
      workflowService({ workflows, graphs }),
      workflowWatchService({ watch: graphWatch }),
      longRunningService({ store: operations }),
      operationsService({ store: operations }),
      monitorService({ monitor }),
    ].map((registration) => readiness.guard(registration)),
  });
  readiness.attach(server.health);
  const database = startDatabaseInBackground({
    db,
    migrations,
    steps: [
      // A failing step is retried alone, so the runner starts once.
      { name: 'start the operation runner', run: () => runner.start() },
      { name: 'resume unfinished operations', run: () => runner.resumeUnfinished() },
      { name: 'start the execution reaper', run: () => reaper.start() },
      {
        name: 'seal stored S3 credentials',
        run: async () => {
          const count = await executions.resealStorage((executionId, err) =>
            log.warn({ err, executionId }, 'stored S3 credentials do not open; left as they are'),
          );
          if (count > 0) log.info({ count }, 'sealed stored S3 credentials');
        },
      },
      {
        name: 'listen for execution changes',
        run: async () => {
          await monitor.start();
          await listener.start();
        },
      },
    ],
    onReady: () => readiness.markReady(),
    log,
  });
  const ready = database.ready;

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    const startupStopped = database.stop();
    // Open WatchGraph streams end now (UNAVAILABLE: clients re-open them elsewhere or after the
    // restart) instead of holding the drain for its whole grace period.
    graphWatch.stop();
    await server.stop();
    await startupStopped;
    monitor.stop();
    await listener.stop();
    await reaper.stop();
    await tracker.stop();
    await runner.stop();
    created?.close();
    iamClient?.close();
    await closeDatabase(db);
  };
  return {
    port: server.port,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    ready,
    stop: () => (stopped ??= stop()),
  };
}
