import {
  IamAuthenticator,
  createChannelClient,
  internalCallCredentials,
  startGrpcServer,
} from '@lzy/grpc';
import type { Authenticator, Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { InMemoryOperations } from '@lzy/operations';
import { iamVmOwner, portalSlotUri } from '@lzy/proto';
import { AllocatorAgent } from './clients/allocator-agent.ts';
import { ChannelManagerClient } from './clients/channel-manager-client.ts';
import { S3SnapshotStorage } from './clients/s3-snapshot-storage.ts';
import { SlotReaderClient } from './clients/slot-reader-client.ts';
import type { PortalConfig } from './config.ts';
import { Portal } from './domain/portal.ts';
import { operationServices } from './rpc/operation-services.ts';
import { portalService } from './rpc/portal-service.ts';
import { slotsService } from './rpc/slots-service.ts';

export interface PortalDeps {
  log: Logger;
  /** Default: IamAuthenticator against config.iamAddress. Tests pass a LocalAuthenticator. */
  authenticator?: Authenticator;
  clock?: Clock;
  /** Called after a Stop RPC or when the allocator forgot this VM; main.ts exits the process. */
  onStopRequested?: () => void;
}

export interface RunningPortal {
  port: number;
  metricsPort?: number;
  /** Drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the portal: one per execution (reference §8), a VM of the system cluster. Serves
 * PortalService, SlotsService, LongRunningService and OperationsService on one port. With
 * LZY_VM_ID it registers at the allocator and heartbeats; without, it runs standalone.
 */
export async function startPortal(config: PortalConfig, deps: PortalDeps): Promise<RunningPortal> {
  const { log } = deps;
  const clock = deps.clock ?? { now: () => Date.now() };
  const callCredentials =
    config.privateKey === undefined
      ? undefined
      : internalCallCredentials({
          privateKeyPem: config.privateKey.pem,
          issuer: config.privateKey.issuer,
          clock,
        });
  let iamClient: iamVmOwner.InternalAuthenticateServiceClient | undefined;
  let authenticator = deps.authenticator;
  if (authenticator === undefined) {
    iamClient = createChannelClient(
      iamVmOwner.InternalAuthenticateServiceClient,
      config.iamAddress,
    );
    authenticator = new IamAuthenticator({ client: iamClient, clock });
  }
  const channels = new ChannelManagerClient(config.channelManagerAddress, callCredentials);
  const reader = new SlotReaderClient({
    callCredentials,
    uploadParallelParts: config.s3.parallelParts,
  });
  // The portal's own multipart puts (outputs read through ReadSlot) keep 2 parts in flight: they
  // are the exception (portal senders), and each part in flight is a buffer of this process.
  const storage = new S3SnapshotStorage({ ...config.s3, queueSize: 2 });
  let address = '';
  const portal = new Portal({
    channels,
    reader,
    storage,
    slotUriOf: (slotName) => portalSlotUri(address, slotName),
    log,
    stdBufferBytes: config.stdBufferBytes,
    finishStdGraceMs: config.finishStdGraceMs,
  });
  const operations = new InMemoryOperations({ clock });
  const onStop = deps.onStopRequested ?? (() => undefined);

  const server = await startGrpcServer({
    name: 'portal',
    ...config.server,
    log,
    authenticator,
    services: [
      portalService({ portal, operations, onStop, ownerUserId: config.ownerUserId }),
      slotsService(portal, config.ownerUserId),
      ...operationServices(operations),
    ],
  });
  address = `${config.advertisedHost}:${server.port}`;

  let agent: AllocatorAgent | undefined;
  const closeClients = () => {
    agent?.stop();
    channels.close();
    reader.close();
    storage.close();
    iamClient?.close();
  };
  if (config.vm !== undefined) {
    agent = new AllocatorAgent({
      ...config.vm,
      address,
      callCredentials,
      log: log.child({ component: 'allocator-agent' }),
      onVmGone: onStop,
    });
    try {
      await agent.start();
    } catch (err) {
      await server.stop();
      closeClients();
      throw err;
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    portal.stop();
    await server.stop();
    closeClients();
  };
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    stop: () => (stopping ??= stop()),
  };
}
