import { InvalidArgument } from '@lzy/errors';
import {
  implement,
  requireServiceCaller,
  requireServiceOrVmCaller,
  requireServiceOrVmOf,
} from '@lzy/grpc';
import type { CallContext, ServiceRegistration } from '@lzy/grpc';
import { channelManager, commonDataScheme } from '@lzy/proto';
import type { Authorize } from '../domain/binding-plan.ts';
import type { ChannelManager } from '../domain/channel-manager.ts';
import type { BoundEndpoint, ChannelRecord, SlotOwner } from '../domain/channel-rules.ts';

const { SlotOwner: OwnerProto, ChannelLifeStatus } = channelManager;

/** @param at prefix naming the entry of a batch, e.g. `binds[3].` */
function ownerFromProto(owner: channelManager.SlotOwner, at = ''): SlotOwner {
  if (owner === OwnerProto.SLOT_OWNER_WORKER) return 'WORKER';
  if (owner === OwnerProto.SLOT_OWNER_PORTAL) return 'PORTAL';
  throw new InvalidArgument(`${at}owner must be SLOT_OWNER_WORKER or SLOT_OWNER_PORTAL`);
}

/**
 * The authorization of Bind / Unbind / BindSlots for this caller: undefined for a service (may
 * bind anywhere); for a VM, a check that a channel or slot is of the user it works for, run
 * inside the change's transaction on the rows it reads (no extra look-up). End users refused.
 * @throws PermissionDenied
 */
function authorizeOf(ctx: CallContext): Authorize {
  if (requireServiceOrVmCaller(ctx).kind === 'service') return undefined;
  return (userId, what) => requireServiceOrVmOf(ctx, userId, what);
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
 * listing channels is for the services only; VMs (workers, portals) may also bind (one slot or a
 * batch), unbind, watch senders and read a channel's status, on channels of the user they work
 * for only: else an op could bind its own sender into another user's channel, or watch where its
 * data comes from.
 */
export function channelManagerService(manager: ChannelManager): ServiceRegistration {
  /** A bound slot must be in a channel of the calling VM's user; an unbound one is no one's. */
  const requireSlotOfCaller = async (ctx: CallContext, slotUri: string) => {
    const user = await manager.userOfSlot(slotUri);
    if (user !== undefined) requireServiceOrVmOf(ctx, user, `slot ${slotUri}`);
  };
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
      const caller = requireServiceOrVmCaller(ctx);
      const channel = await manager.get(request.channelId);
      if (caller.kind === 'vm')
        requireServiceOrVmOf(ctx, channel.userId, `channel ${channel.channelId}`);
      return { channel: toChannel(channel) };
    },
    listChannels: async (request, ctx) => {
      requireServiceCaller(ctx);
      return { channels: (await manager.list(request.executionId)).map(toChannel) };
    },
    bind: async (request, ctx) => {
      const authorize = authorizeOf(ctx);
      await manager.bind(request.slot, ownerFromProto(request.owner), authorize);
      return {};
    },
    unbind: async (request, ctx) => {
      const authorize = authorizeOf(ctx);
      await manager.unbind(request.slotUri, authorize);
      return {};
    },
    bindSlots: async (request, ctx) => {
      const authorize = authorizeOf(ctx);
      const binds = request.binds.map((endpoint, i) => ({
        slot: endpoint.slot,
        owner: ownerFromProto(endpoint.owner, `binds[${i}].`),
      }));
      await manager.bindSlots({ unbindSlotUris: request.unbindSlotUris, binds }, authorize);
      return {};
    },
    watchSender: async (request, ctx, send) => {
      const caller = requireServiceOrVmCaller(ctx);
      if (caller.kind === 'vm') await requireSlotOfCaller(ctx, request.slotUri);
      await manager.watchSender(request.slotUri, ctx.signal, (sender) =>
        send({ sender: toEndpoint(sender) }),
      );
    },
  });
}
