import { InvalidArgument } from '@lzy/errors';
import { implement, requireServiceCaller, requireServiceOrVmCaller } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { channelManager, commonDataScheme } from '@lzy/proto';
import type { ChannelManager } from '../domain/channel-manager.ts';
import type { BoundEndpoint, ChannelRecord, SlotOwner } from '../domain/channel-rules.ts';

const { SlotOwner: OwnerProto, ChannelLifeStatus } = channelManager;

function ownerFromProto(owner: channelManager.SlotOwner): SlotOwner {
  if (owner === OwnerProto.SLOT_OWNER_WORKER) return 'WORKER';
  if (owner === OwnerProto.SLOT_OWNER_PORTAL) return 'PORTAL';
  throw new InvalidArgument('owner must be SLOT_OWNER_WORKER or SLOT_OWNER_PORTAL');
}

function toEndpoint(endpoint: BoundEndpoint): channelManager.Endpoint {
  return {
    slot: endpoint.slot,
    owner:
      endpoint.owner === 'WORKER' ? OwnerProto.SLOT_OWNER_WORKER : OwnerProto.SLOT_OWNER_PORTAL,
  };
}

function toChannel(channel: ChannelRecord): channelManager.Channel {
  const scheme: unknown = JSON.parse(channel.schemeJson);
  return {
    channelId: channel.channelId,
    executionId: channel.executionId,
    workflowName: channel.workflowName,
    userId: channel.userId,
    spec: {
      channelName: channel.channelName,
      ...(scheme === null ? {} : { scheme: commonDataScheme.DataScheme.fromJSON(scheme) }),
    },
    senders: channel.endpoints.filter((e) => e.direction === 'OUTPUT').map(toEndpoint),
    receivers: channel.endpoints.filter((e) => e.direction === 'INPUT').map(toEndpoint),
    lifeStatus: ChannelLifeStatus.CHANNEL_LIFE_STATUS_ALIVE,
  };
}

/** Canonical text of the optional scheme (proto JSON; `null` when absent), stored and compared. */
function schemeJsonOf(spec: channelManager.ChannelSpec | undefined): string {
  return JSON.stringify(
    spec?.scheme === undefined ? null : commonDataScheme.DataScheme.toJSON(spec.scheme),
  );
}

/**
 * lzy.internal.channel_manager.v1.ChannelManagerService: proto ↔ domain. Creating, destroying and
 * listing channels is for the services only; VMs (workers, portals) may also bind, unbind, watch
 * senders and read a channel's status.
 */
export function channelManagerService(manager: ChannelManager): ServiceRegistration {
  return implement(channelManager.ChannelManagerServiceService, {
    createChannel: async (request, ctx) => {
      requireServiceCaller(ctx);
      const channelId = await manager.create({
        executionId: request.executionId,
        workflowName: request.workflowName,
        userId: request.userId,
        channelName: request.spec?.channelName ?? '',
        schemeJson: schemeJsonOf(request.spec),
      });
      return { channelId };
    },
    createChannels: async (request, ctx) => {
      requireServiceCaller(ctx);
      const channelIds = await manager.createMany(
        request.specs.map((spec) => ({
          executionId: request.executionId,
          workflowName: request.workflowName,
          userId: request.userId,
          channelName: spec.channelName,
          schemeJson: schemeJsonOf(spec),
        })),
      );
      return { channelIds };
    },
    destroyChannel: async (request, ctx) => {
      requireServiceCaller(ctx);
      await manager.destroy(request.channelId);
      return {};
    },
    destroyAllChannels: async (request, ctx) => {
      requireServiceCaller(ctx);
      await manager.destroyAll(request.executionId);
      return {};
    },
    getChannelStatus: async (request, ctx) => {
      requireServiceOrVmCaller(ctx);
      return { channel: toChannel(await manager.get(request.channelId)) };
    },
    listChannels: async (request, ctx) => {
      requireServiceCaller(ctx);
      return { channels: (await manager.list(request.executionId)).map(toChannel) };
    },
    bind: async (request, ctx) => {
      requireServiceOrVmCaller(ctx);
      if (request.slot === undefined) throw new InvalidArgument('slot is required');
      await manager.bind(request.slot, ownerFromProto(request.owner));
      return {};
    },
    unbind: async (request, ctx) => {
      requireServiceOrVmCaller(ctx);
      if (request.slotUri === '') throw new InvalidArgument('slot_uri is required');
      await manager.unbind(request.slotUri);
      return {};
    },
    watchSender: async (request, ctx, send) => {
      requireServiceOrVmCaller(ctx);
      await manager.watchSender(request.slotUri, ctx.signal, (sender) =>
        send({ sender: toEndpoint(sender) }),
      );
    },
  });
}
