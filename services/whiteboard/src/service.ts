import { importPrivateKey } from '@lzy/auth';
import { closeDatabase, createDatabase, startDatabaseInBackground } from '@lzy/db';
import {
  IamAuthenticator,
  MetricsRegistry,
  ReadinessGate,
  createChannelClient,
  internalCallCredentials,
  startGrpcServer,
} from '@lzy/grpc';
import type { Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { iamAccessBindingService, iamAccessService, iamAuthService } from '@lzy/proto';
import type { WhiteboardConfig } from './config.ts';
import { whiteboardMigrations } from './db/migrations/index.ts';
import type { WhiteboardDatabase } from './db/schema.ts';
import { WhiteboardStore } from './db/whiteboard-store.ts';
import { Whiteboards } from './domain/whiteboards.ts';
import { IamWhiteboardAccess } from './iam/iam-whiteboard-access.ts';
import { whiteboardService } from './rpc/whiteboard-service.ts';
import { encodedWhiteboardSize } from './rpc/whiteboard-wire.ts';

const SERVICE_NAME = 'ai.lzy.v1.whiteboard.LzyWhiteboardService';
const IAM_DEADLINE_MS = 10_000;

export interface WhiteboardDeps {
  log: Logger;
  /** Default: the system clock. */
  clock?: Clock;
}

export interface RunningWhiteboard {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

function iamClients(config: WhiteboardConfig, clock: Clock, log: Logger) {
  const key = config.internalPrivateKeyPem;
  if (key === undefined) {
    log.warn('LZY_INTERNAL_PRIVATE_KEY is unset: iam will refuse our access checks');
  } else {
    importPrivateKey(key); // fail the start on a bad key rather than every call later
  }
  const internal = {
    ...(key === undefined
      ? {}
      : { callCredentials: internalCallCredentials({ privateKeyPem: key, clock }) }),
  };
  return {
    // Authenticate forwards the caller's own header: no credentials of ours.
    auth: createChannelClient(iamAuthService.LzyAuthenticateServiceClient, config.iamAddress),
    accessBindings: createChannelClient(
      iamAccessBindingService.LzyAccessBindingServiceClient,
      config.iamAddress,
      internal,
    ),
    access: createChannelClient(
      iamAccessService.LzyAccessServiceClient,
      config.iamAddress,
      internal,
    ),
  };
}

/**
 * Starts the whiteboard service: whiteboards registered, updated, read and listed by their
 * owners (LzyWhiteboardService, public-api.md §6.3), metadata in PostgreSQL, access in iam.
 * The server comes up even while the database is unreachable: the whiteboard service reports
 * NOT_SERVING on the health check and calls fail with UNAVAILABLE until it is migrated.
 * @throws if a port cannot be bound or the internal key is unreadable
 */
export async function startWhiteboard(
  config: WhiteboardConfig,
  deps: WhiteboardDeps,
): Promise<RunningWhiteboard> {
  const log = deps.log;
  const clock = deps.clock ?? { now: () => Date.now() };
  const clients = iamClients(config, clock, log);
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db = createDatabase<WhiteboardDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'whiteboard' },
    applicationName: 'whiteboard',
    log: log.child({ component: 'db' }),
  });
  const whiteboards = new Whiteboards({
    repository: new WhiteboardStore({ db }),
    access: new IamWhiteboardAccess({ ...clients, deadlineMs: IAM_DEADLINE_MS }),
    maxWhiteboardBytes: config.maxResponseBytes,
    encodedSize: encodedWhiteboardSize,
  });
  const readiness = new ReadinessGate({
    services: [SERVICE_NAME],
    unavailableMessage: 'The whiteboard database is not ready yet; retry later',
  });
  // Every failure is retried, not only an unreachable server: a database not created yet
  // (3D000) or a role without access are fixed by an operator while the process keeps running.
  const startup = startDatabaseInBackground({
    db,
    migrations: whiteboardMigrations,
    onReady: () => readiness.markReady(),
    log: log.child({ component: 'migrations' }),
  });
  const closeAll = async () => {
    await startup.stop();
    for (const client of Object.values(clients)) client.close();
    await closeDatabase(db);
  };

  let server;
  try {
    server = await startGrpcServer({
      name: 'whiteboard',
      ...config.server,
      metricsRegistry,
      log,
      authenticator: new IamAuthenticator({ client: clients.auth, clock }),
      services: [
        whiteboardService({
          whiteboards,
          maxResponseBytes: config.maxResponseBytes,
          assertReady: () => readiness.assertReady(),
        }),
      ],
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
  readiness.attach(server.health);
  await startup.firstAttempt;
  const running = server;
  let stopping: Promise<void> | undefined;
  return {
    port: running.port,
    ...(running.metricsPort === undefined ? {} : { metricsPort: running.metricsPort }),
    stop: () =>
      (stopping ??= (async () => {
        await running.stop();
        await closeAll();
      })()),
  };
}
