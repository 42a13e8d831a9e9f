import type { Client } from '@grpc/grpc-js';
import { createChannelClient, internalCallCredentials } from '@lzy/grpc';
import type { ClientConstructor, Clock } from '@lzy/grpc';
import {
  allocator,
  iamAccessBindingService,
  iamAccessService,
  iamAuthService,
  iamDirectory,
  iamSubjectService,
  lzyWhiteboardService,
  monitor,
  portal,
  scheduler,
} from '@lzy/proto';
import type { SiteConfig } from '../config.ts';
import type {
  ExecutionSource,
  IdentityPort,
  OperatorSource,
  WhiteboardSource,
} from '../domain/ports.ts';
import { GrpcExecutionSource } from './grpc-execution-source.ts';
import { IamIdentity } from './iam-identity.ts';
import { OperatorClient } from './operator-client.ts';
import { WhiteboardClient } from './whiteboard-client.ts';

export interface SiteSources {
  executions: ExecutionSource;
  identity: IdentityPort;
  whiteboards: WhiteboardSource;
  operators: OperatorSource;
  close(): void;
}

/**
 * The site's gRPC adapters. Internal APIs are called as `lzy-internal`; the public whiteboard
 * API carries the user's own JWT per call (so the client has no default credentials).
 */
export function createSiteSources(config: SiteConfig, clock: Clock): SiteSources {
  const callCredentials =
    config.internalPrivateKeyPem === undefined
      ? undefined
      : internalCallCredentials({ privateKeyPem: config.internalPrivateKeyPem, clock });
  const clients: Client[] = [];
  const make = <C extends Client>(
    ctor: ClientConstructor<C>,
    address: string,
    internal = true,
  ): C => {
    const client = createChannelClient(
      ctor,
      address,
      internal && callCredentials !== undefined ? { callCredentials } : {},
    );
    clients.push(client);
    return client;
  };
  const portals = new Map<string, portal.PortalServiceClient>();
  const portalAt = (address: string) => {
    let client = portals.get(address);
    if (client === undefined) {
      client = make(portal.PortalServiceClient, address);
      portals.set(address, client);
    }
    return client;
  };
  return {
    executions: new GrpcExecutionSource({
      stubs: {
        monitor: make(monitor.ExecutionMonitorServiceClient, config.lzyServiceAddress),
        scheduler: make(scheduler.SchedulerServiceClient, config.schedulerAddress),
        portalAt,
      },
    }),
    identity: new IamIdentity({
      stubs: {
        subjects: make(iamSubjectService.LzySubjectServiceClient, config.iamAddress),
        auth: make(iamAuthService.LzyAuthenticateServiceClient, config.iamAddress),
        access: make(iamAccessService.LzyAccessServiceClient, config.iamAddress),
        bindings: make(iamAccessBindingService.LzyAccessBindingServiceClient, config.iamAddress),
      },
    }),
    whiteboards: new WhiteboardClient({
      client: make(
        lzyWhiteboardService.LzyWhiteboardServiceClient,
        config.whiteboardAddress,
        false,
      ),
    }),
    operators: new OperatorClient({
      allocator: make(allocator.AllocatorServiceClient, config.allocatorAddress),
      directory: make(iamDirectory.SubjectDirectoryServiceClient, config.iamAddress),
    }),
    close: () => {
      for (const client of clients) client.close();
    },
  };
}
