import { closeDatabase, createDatabase } from '@lzy/db';
import { startGrpcServer } from '@lzy/grpc';
import type { Clock, GrpcServer, ServiceRegistration } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { IamConfig } from './config.ts';
import { AccessBindingStore } from './db/access-binding-store.ts';
import { prepareDatabase } from './db/prepare-database.ts';
import type { IamDatabase } from './db/schema.ts';
import { SubjectStore } from './db/subject-store.ts';
import { AccessControl } from './domain/access-control.ts';
import { CallAuthenticator } from './domain/call-authenticator.ts';
import { accessBindingService } from './rpc/access-binding-service.ts';
import { accessService } from './rpc/access-service.ts';
import { authService } from './rpc/auth-service.ts';
import { subjectService } from './rpc/subject-service.ts';
import { StartupRetry } from './startup-retry.ts';

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

/** `ai.lzy.v1.iam.LzySubjectService` from a method path `/ai.lzy.v1.iam.LzySubjectService/X`. */
function serviceNameOf(registration: ServiceRegistration): string {
  const [method] = Object.values(registration.definition);
  return method?.path.split('/')[1] ?? '';
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
  const db = createDatabase<IamDatabase>({
    url: config.dbUrl,
    applicationName: 'iam',
    log: log.child({ component: 'db' }),
  });
  const subjects = new SubjectStore(db);
  const bindings = new AccessBindingStore(db);
  const access = new AccessControl({ roles: bindings });
  const services = [
    authService(),
    subjectService({ subjects, access }),
    accessService({ subjects, access }),
    accessBindingService({ bindings, access }),
  ];

  let server: GrpcServer | undefined;
  const setServing = (status: 'SERVING' | 'NOT_SERVING') => {
    for (const s of services) server?.health.setStatus(serviceNameOf(s), status);
  };
  const startup = new StartupRetry({
    attempt: () => prepareDatabase(db, { internalPublicKeyPem: config.internalPublicKeyPem, log }),
    log,
    onReady: () => {
      setServing('SERVING');
      log.info('database ready');
    },
  });
  try {
    await startup.start();
    server = await startGrpcServer({
      name: 'iam',
      ...config.server,
      log,
      services,
      authenticator: new CallAuthenticator({
        credentials: subjects,
        clock,
        isReady: () => startup.isReady,
      }),
    });
  } catch (err) {
    startup.stop();
    await closeDatabase(db);
    throw err;
  }
  if (!startup.isReady) setServing('NOT_SERVING');

  const running = server;
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    startup.stop();
    await running.stop();
    await closeDatabase(db);
  };
  return {
    port: running.port,
    ...(running.metricsPort === undefined ? {} : { metricsPort: running.metricsPort }),
    stop: () => (stopping ??= stop()),
  };
}
