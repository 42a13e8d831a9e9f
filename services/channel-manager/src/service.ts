import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  closeDatabase,
  createDatabase,
  NotificationListener,
  startDatabaseInBackground,
} from '@lzy/db';
import { ChangeEvents } from '@lzy/events';
import {
  MetricsRegistry,
  createChannelClient,
  IamAuthenticator,
  ReadinessGate,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator, Clock, GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { iamVmOwner } from '@lzy/proto';
import { SlotSenderProbe } from './clients/sender-probe.ts';
import type { ChannelManagerConfig } from './config.ts';
import { ChannelStore } from './db/channel-store.ts';
import { CHANNEL_CHANGED } from './db/schema.ts';
import { parseChangedPayload } from './db/endpoint-writes.ts';
import type { ChannelManagerDatabase } from './db/schema.ts';
import { channelManagerMigrations } from './db/migrations/0001_channel.ts';
import { ChannelManager } from './domain/channel-manager.ts';
import { channelManagerService } from './rpc/channel-manager-service.ts';

export interface ChannelManagerDeps {
  log: Logger;
  /** Verifies inbound calls; default: IamAuthenticator against LZY_IAM_ADDRESS. */
  authenticator?: Authenticator;
  clock?: Clock;
}

export interface RunningChannelManager {
  port: number;
  metricsPort?: number;
  /**
   * true once the database is migrated and the service SERVING (tests wait on it); false if
   * stopped first. Never rejects.
   */
  ready: Promise<boolean>;
  /** Ends WatchSender streams, drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the channel-manager service: channels from a producer slot to its consumers (bind,
 * unbind, destroy, WatchSender). Does not fail when PostgreSQL is unreachable: it retries
 * migrations in the background and reports its service NOT_SERVING until then.
 */
export async function startChannelManager(
  config: ChannelManagerConfig,
  deps: ChannelManagerDeps,
): Promise<RunningChannelManager> {
  const clock = deps.clock ?? { now: () => Date.now() };
  const log = deps.log;
  let iamClient: iamVmOwner.InternalAuthenticateServiceClient | undefined;
  let authenticator = deps.authenticator;
  if (authenticator === undefined) {
    iamClient = createChannelClient(
      iamVmOwner.InternalAuthenticateServiceClient,
      config.iamAddress,
    );
    authenticator = new IamAuthenticator({ client: iamClient, clock });
  }
  // One registry for the service's /metrics: RPCs served and made, statements run.
  const metricsRegistry = new MetricsRegistry();
  const db: Kysely<ChannelManagerDatabase> = createDatabase<ChannelManagerDatabase>({
    url: config.dbUrl,
    metrics: { registry: metricsRegistry, service: 'channel-manager' },
    applicationName: 'channel-manager',
    log,
  });
  const events = new ChangeEvents();
  /** This instance, in its change notifications (changedPayload). */
  const origin = randomUUID();
  const listener = new NotificationListener({ connection: { url: config.dbUrl }, log });
  const senderProbe = config.checkWorkerSenders ? new SlotSenderProbe() : undefined;
  const manager = new ChannelManager({
    store: new ChannelStore({ db, origin }),
    events,
    log,
    ...(senderProbe === undefined ? {} : { senderProbe }),
  });
  // Changes made by other instances wake this instance's watchers; after a reconnect every
  // watcher re-reads, since notifications sent meanwhile are lost. (No I/O before start().)
  await listener.listen(CHANNEL_CHANGED, (payload) => {
    const { origin: from, channelId } = parseChangedPayload(payload);
    // This instance's own changes woke its watchers in process already.
    if (from !== origin) events.notify(channelId);
  });
  listener.onReconnect(() => events.notifyAll());

  const service = channelManagerService(manager);
  // Health only: calls are served as soon as they can be (not gated), as before.
  const gate = new ReadinessGate({ services: [service] });
  let server: GrpcServer;
  try {
    server = await startGrpcServer({
      name: 'channel-manager',
      ...config.server,
      metricsRegistry,
      log,
      authenticator,
      services: [service],
    });
  } catch (err) {
    iamClient?.close();
    senderProbe?.close();
    await closeDatabase(db);
    throw err;
  }
  gate.attach(server.health);
  const database = startDatabaseInBackground({
    db,
    migrations: channelManagerMigrations,
    steps: [{ name: 'listen for channel changes', run: () => listener.start() }],
    onReady: () => gate.markReady(),
    log: log.child({ component: 'database-startup' }),
  });
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await database.stop();
    manager.close();
    events.close();
    await server.stop();
    senderProbe?.close();
    await listener.stop();
    iamClient?.close();
    await closeDatabase(db);
  };
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    ready: database.ready,
    stop: () => (stopping ??= stop()),
  };
}
