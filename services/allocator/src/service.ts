import { randomUUID } from 'node:crypto';
import {
  NotificationListener,
  closeDatabase,
  createDatabase,
  startDatabaseInBackground,
} from '@lzy/db';
import {
  IamAuthenticator,
  INTERNAL_SUBJECT_ID,
  LocalAuthenticator,
  MetricsRegistry,
  ReadinessGate,
  createChannelClient,
  internalCallCredentials,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { OperationStore, longRunningService, operationsService } from '@lzy/operations';
import type { CanAccessOperation, Clock } from '@lzy/operations';
import { iamAuthService, iamSubjectService, iamVmOwner } from '@lzy/proto';
import { buildAllocatorCore } from './allocator-core.ts';
import type { AllocatorConfig } from './config.ts';
import { allocatorMigrations } from './db/migrations/index.ts';
import type { AllocatorDatabase } from './db/schema.ts';
import { VM_CHANGED_CHANNEL } from './db/vm-store.ts';
import type { VmBackend, VmIdentityIssuer } from './domain/ports.ts';
import type { VmReaper } from './domain/vm-reaper.ts';
import { IamVmIdentityIssuer } from './iam/iam-vm-identity-issuer.ts';
import { LocalIdentities } from './iam/local-identities.ts';
import { allocatorPrivateService } from './rpc/allocator-private-service.ts';
import { allocatorService } from './rpc/allocator-service.ts';
import { createVmBackend } from './vm-backend-factory.ts';

export interface AllocatorDeps {
  log: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: IamAuthenticator at LZY_IAM_ADDRESS, or in-memory keys without iam. */
  authenticator?: Authenticator;
  /** Default: iam's LzySubjectService at LZY_IAM_ADDRESS, or in-memory keys without iam. */
  identity?: VmIdentityIssuer;
  /** Default: the one LZY_ALLOCATOR_BACKEND names (local child processes or Kubernetes pods). */
  backend?: VmBackend;
}

export interface RunningAllocator {
  port: number;
  metricsPort?: number;
  /**
   * true once the database is migrated, recovery ran and the allocator serves; false if
   * stopped first. Never rejects.
   */
  ready: Promise<boolean>;
  /**
   * Drains in-flight calls and stops. Local VM processes are killed (SIGTERM, then SIGKILL);
   * Kubernetes VM pods stay for the next allocator to adopt. Idempotent.
   */
  stop(): Promise<void>;
}

const IAM_DEADLINE_MS = 10_000;

/** Operations are visible to their creator and to the internal identity (services share it). */
const creatorOrInternal: CanAccessOperation = (subject, op) =>
  subject?.id === op.createdBy || subject?.id === INTERNAL_SUBJECT_ID;

function identities(config: AllocatorConfig, deps: AllocatorDeps, clock: Clock) {
  const { iamAddress, internalPrivateKeyPem } = config;
  if (iamAddress !== undefined && internalPrivateKeyPem !== undefined) {
    const callCredentials = internalCallCredentials({
      privateKeyPem: internalPrivateKeyPem,
      clock,
    });
    const options = { callCredentials, deadlineMs: IAM_DEADLINE_MS };
    const subjects = createChannelClient(
      iamSubjectService.LzySubjectServiceClient,
      iamAddress,
      options,
    );
    const owners = createChannelClient(iamVmOwner.VmOwnerServiceClient, iamAddress, options);
    const authClient = createChannelClient(iamAuthService.LzyAuthenticateServiceClient, iamAddress);
    return {
      identity: deps.identity ?? new IamVmIdentityIssuer({ client: subjects, owners }),
      authenticator: deps.authenticator ?? new IamAuthenticator({ client: authClient, clock }),
      close: () => {
        subjects.close();
        owners.close();
        authClient.close();
      },
    };
  }
  deps.log.warn(
    'LZY_IAM_ADDRESS is not set: VM identities and keys stay in memory, only lzy-internal ' +
      '(LZY_INTERNAL_PRIVATE_KEY) and our VMs can call the allocator',
  );
  const local = new LocalIdentities({ internalPrivateKeyPem });
  const authenticator = new LocalAuthenticator({
    findPublicKeys: (login, provider) => local.findPublicKeys(login, provider),
    clock,
  });
  return {
    identity: deps.identity ?? local,
    authenticator: deps.authenticator ?? authenticator,
    close: () => undefined,
  };
}

/**
 * Starts the allocator: sessions, pools and VMs as local processes (allocate, register,
 * heartbeat, free, cache reuse, idle/heartbeat/allocation timeouts). Serves at once; the
 * database is migrated in the background (retried while unreachable) and the allocator APIs
 * answer UNAVAILABLE and health NOT_SERVING for them until then (`ready`).
 */
export async function startAllocator(
  config: AllocatorConfig,
  deps: AllocatorDeps,
): Promise<RunningAllocator> {
  const log = deps.log;
  const clock = deps.clock ?? { now: () => Date.now() };
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db = createDatabase<AllocatorDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'allocator' },
    applicationName: 'allocator',
    log: log.child({ component: 'db' }),
  });
  const operations = new OperationStore<AllocatorDatabase>({ db, clock });
  const listener = new NotificationListener({ connection: { url: config.dbUrl }, log });
  const ids = identities(config, deps, clock);
  const backend = deps.backend ?? createVmBackend(config, log);
  let advertisedAddress = config.advertisedAddress ?? '';
  const core = buildAllocatorCore({
    config,
    db,
    operations,
    backend,
    identity: ids.identity,
    clock,
    log,
    instanceId: randomUUID(),
    vmEnv: () => ({
      LZY_ALLOCATOR_ADDRESS: advertisedAddress,
      ...(config.iamAddress === undefined ? {} : { LZY_IAM_ADDRESS: config.iamAddress }),
      ...(config.channelManagerAddress === undefined
        ? {}
        : { LZY_CHANNEL_MANAGER_ADDRESS: config.channelManagerAddress }),
      LZY_HOST: '127.0.0.1', // a pod overrides it (kube/vm-pod-spec.ts)
      LZY_PORT: '0',
    }),
  });
  const unsubscribeExit = backend.onFailure((vmId, failure) => {
    const message = `VM ${vmId} failed: ${failure.reason}`;
    // A VM that dies is an infrastructure failure the caller may retry with a new VM.
    const error = { code: failure.code ?? 'UNAVAILABLE', message };
    core.reaper
      .delete(vmId, { reason: failure.reason, error })
      .catch((err: unknown) => log.error({ err, vmId }, 'could not delete a failed vm'));
  });

  const assertReady = () => readiness.assertReady();
  const allocatorApis = [
    allocatorService({ ...core, assertReady }),
    allocatorPrivateService({ gate: core.gate, assertReady }),
  ];
  const readiness = new ReadinessGate({
    services: allocatorApis,
    unavailableMessage: 'The allocator is starting (database not ready); retry',
  });
  const server = await startGrpcServer({
    name: 'allocator',
    ...config.server,
    metricsRegistry,
    log,
    authenticator: ids.authenticator,
    services: [
      ...allocatorApis,
      longRunningService({ store: operations, canAccess: creatorOrInternal }),
      operationsService({ store: operations, canAccess: creatorOrInternal }),
    ],
  }).catch(async (err: unknown) => {
    unsubscribeExit();
    ids.close();
    await closeDatabase(db);
    throw err;
  });
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(config.server.host);
  const host = wildcard ? '127.0.0.1' : config.server.host;
  advertisedAddress ||= `${host}:${server.port}`;
  readiness.attach(server.health);

  // Registered now, LISTENed at listener.start() (no I/O before).
  await operations.listenForCompletions(listener);
  await listener.listen(VM_CHANGED_CHANNEL, (vmId) => core.events.emit(vmId));
  const database = startDatabaseInBackground({
    db,
    migrations: allocatorMigrations,
    steps: [
      { name: 'listen for notifications', run: () => listener.start() },
      { name: 'recover vms of a previous run', run: () => core.reaper.recover() },
      {
        name: 'launch queued vms',
        run: async () => {
          for (const pool of core.pools.list(undefined))
            await core.allocator.drainQueue(pool.label);
        },
      },
    ],
    onReady: () => {
      core.reaper.start();
      readiness.markReady();
      log.info({ advertisedAddress }, 'allocator ready');
    },
    initialBackoffMs: 500,
    maxBackoffMs: 10_000,
    log,
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const startupStopped = database.stop();
    await server.stop();
    await startupStopped;
    await core.reaper.stop();
    await core.launcher.drain();
    if (readiness.isReady() && !backend.vmsOutliveAllocator) {
      await deleteRunningVms(backend, core.reaper, log);
    }
    unsubscribeExit();
    await backend.stop();
    await listener.stop();
    ids.close();
    await closeDatabase(db);
  };
  return {
    port: server.port,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    ready: database.ready,
    stop: () => (stopping ??= stop()),
  };
}

/** Deletes (kill, revoke, DEAD) the VMs whose processes run here; best effort. */
async function deleteRunningVms(backend: VmBackend, reaper: VmReaper, log: Logger): Promise<void> {
  const message = 'The allocator stopped and killed the VM; allocate again';
  const results = await Promise.allSettled(
    backend.running().map((vmId) =>
      reaper.delete(vmId, {
        reason: 'allocator stopped',
        error: { code: 'UNAVAILABLE', message },
      }),
    ),
  );
  for (const r of results) {
    if (r.status === 'rejected') log.warn({ err: r.reason }, 'could not delete a vm at stop');
  }
}
