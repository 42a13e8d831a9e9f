import type { Client } from '@grpc/grpc-js';
import { createChannelClient } from '@lzy/grpc';
import type { ClientConstructor, MetricsRegistry } from '@lzy/grpc';
import {
  allocator,
  channelManager,
  graphExecutor,
  iamAccessBindingService,
  operations,
  portal,
  storage,
} from '@lzy/proto';
import type { Neighbours } from '../domain/ports.ts';
import { AccessClient } from './access-client.ts';
import { AllocatorClient } from './allocator-client.ts';
import { ChannelsClient } from './channels-client.ts';
import { GraphExecutorClient } from './graph-executor-client.ts';
import { PortalClient } from './portal-client.ts';
import { StorageClient } from './storage-client.ts';
import type { PortalStubs } from './portal-client.ts';

export interface NeighbourAddresses {
  iamAddress: string;
  storageAddress: string;
  allocatorAddress: string;
  channelManagerAddress: string;
  graphExecutorAddress: string;
}

/**
 * gRPC adapters of every neighbour, calling as the internal identity (`callCredentials`).
 * Portal stubs are made per portal address on first use. `close()` closes every channel.
 */
export function createNeighbours(
  addresses: NeighbourAddresses,
  callCredentials: (() => Promise<string>) | undefined,
  /** Where outbound calls are counted (the service's /metrics registry). */
  metricsRegistry?: MetricsRegistry,
): { neighbours: Neighbours; close(): void } {
  const clients: Client[] = [];
  const make = <C extends Client>(ctor: ClientConstructor<C>, address: string): C => {
    const client = createChannelClient(ctor, address, {
      ...(callCredentials ? { callCredentials } : {}),
      ...(metricsRegistry ? { metricsRegistry } : {}),
    });
    clients.push(client);
    return client;
  };
  const portals = new Map<string, PortalStubs>();
  const stubsFor = (address: string): PortalStubs => {
    let stubs = portals.get(address);
    if (stubs === undefined) {
      stubs = {
        portal: make(portal.PortalServiceClient, address),
        operations: make(operations.OperationsServiceClient, address),
      };
      portals.set(address, stubs);
    }
    return stubs;
  };
  const neighbours: Neighbours = {
    storage: new StorageClient({
      client: make(storage.StorageServiceClient, addresses.storageAddress),
    }),
    allocator: new AllocatorClient({
      client: make(allocator.AllocatorServiceClient, addresses.allocatorAddress),
      operations: make(operations.OperationsServiceClient, addresses.allocatorAddress),
    }),
    channels: new ChannelsClient({
      client: make(channelManager.ChannelManagerServiceClient, addresses.channelManagerAddress),
    }),
    graphs: new GraphExecutorClient({
      client: make(graphExecutor.GraphExecutorServiceClient, addresses.graphExecutorAddress),
    }),
    portal: new PortalClient({ stubsFor }),
    access: new AccessClient({
      client: make(iamAccessBindingService.LzyAccessBindingServiceClient, addresses.iamAddress),
    }),
  };
  return {
    neighbours,
    close: () => {
      for (const client of clients) client.close();
    },
  };
}
