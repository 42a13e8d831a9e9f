import type { Kysely } from 'kysely';
import {
  closeDatabase,
  createDatabase,
  isUnavailableCause,
  startDatabaseInBackground,
} from '@lzy/db';
import type { StartupStep } from '@lzy/db';
import { MetricsRegistry, ReadinessGate, startGrpcServer } from '@lzy/grpc';
import type { Clock, GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { IamConfig } from './config.ts';
import { AccessBindingStore } from './db/access-binding-store.ts';
import { ensureInternalIdentity } from './db/internal-identity.ts';
import { iamMigrations } from './db/migrations/index.ts';
import type { IamDatabase } from './db/schema.ts';
import { SubjectDirectory } from './db/subject-directory.ts';
import { SubjectStore } from './db/subject-store.ts';
import { AccessControl } from './domain/access-control.ts';
import { CallAuthenticator } from './domain/call-authenticator.ts';
import { accessBindingService } from './rpc/access-binding-service.ts';
import { accessService } from './rpc/access-service.ts';
import { authService } from './rpc/auth-service.ts';
import { internalAuthenticateService, vmOwnerService } from './rpc/vm-owner-service.ts';
import { subjectDirectoryService } from './rpc/subject-directory-service.ts';
import { subjectService } from './rpc/subject-service.ts';

export interface IamDeps {
  log: Logger;
  /** Time for token expiry checks; default the system clock. */
  clock?: Clock;
}

export interface RunningIam {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/** After migrating: the internal identity (lzy-internal and its key), when configured. */
function bootstrapSteps(
  db: Kysely<IamDatabase>,
  pem: string | undefined,
  log: Logger,
): StartupStep[] {
  if (pem === undefined) {
    log.warn(
      'LZY_IAM_INTERNAL_PUBLIC_KEY is not set: no internal identity, so no service can call iam',
    );
    return [];
  }
  return [{ name: 'ensure the internal identity', run: () => ensureInternalIdentity(db, pem) }];
}

/**
 * Starts the iam service: subjects, credentials (public keys, one-time tokens), roles and access
 * bindings; verifies JWTs for every other service (public-api §3.11, §4). Its own calls are
 * authenticated against its own database.
 *
 * An unreachable database does not fail start-up: the server answers health with the iam
 * services NOT_SERVING (the server as a whole SERVING) and every call with UNAVAILABLE until the
 * migrations and the internal identity are in place, retried in the background.
 * @throws if the database is reachable but cannot be prepared (e.g. a failing migration)
 */
export async function startIam(config: IamConfig, deps: IamDeps): Promise<RunningIam> {
  const log = deps.log;
  const clock = deps.clock ?? { now: () => Date.now() };
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db = createDatabase<IamDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'iam' },
    applicationName: 'iam',
    log: log.child({ component: 'db' }),
  });
  const subjects = new SubjectStore(db);
  const bindings = new AccessBindingStore(db);
  const access = new AccessControl({ roles: bindings });
  const directory = new SubjectDirectory(db);
  const services = [
    authService(),
    subjectService({ subjects, access }),
    accessService({ subjects, access }),
    accessBindingService({ bindings, access }),
    subjectDirectoryService({ directory, access, clock }),
    vmOwnerService({ subjects, access }),
    internalAuthenticateService(),
  ];

  const gate = new ReadinessGate({
    services,
    unavailableMessage: 'iam is starting (database not ready yet); retry',
  });
  const startup = startDatabaseInBackground({
    db,
    migrations: iamMigrations,
    steps: bootstrapSteps(db, config.internalPublicKeyPem, log),
    // A reachable database that cannot be prepared (a broken migration) fails the start.
    fatalAtStart: (err) => !isUnavailableCause(err),
    onReady: () => {
      gate.markReady();
      log.info('database ready');
    },
    log: log.child({ component: 'database-startup' }),
  });
  let server: GrpcServer;
  try {
    await startup.firstAttempt;
    server = await startGrpcServer({
      name: 'iam',
      ...config.server,
      metricsRegistry,
      log,
      services,
      authenticator: new CallAuthenticator({
        credentials: subjects,
        clock,
        isReady: () => gate.isReady(),
      }),
    });
  } catch (err) {
    await startup.stop();
    await closeDatabase(db);
    throw err;
  }
  gate.attach(server.health);

  const running = server;
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await startup.stop();
    await running.stop();
    await closeDatabase(db);
  };
  return {
    port: running.port,
    ...(running.metricsPort === undefined ? {} : { metricsPort: running.metricsPort }),
    stop: () => (stopping ??= stop()),
  };
}
