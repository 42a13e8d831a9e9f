import { AlreadyExists, NotFound } from '@lzy/errors';
import { checkBind } from './channel-rules.ts';
import type { BoundEndpoint } from './channel-rules.ts';

/**
 * May the caller touch a resource of `userId` (`what` names it for the message)?
 * @throws PermissionDenied if not. undefined: the caller is a service and may touch anything.
 */
export type Authorize = ((userId: string, what: string) => void) | undefined;

/** Unbinds, then binds, of one Bind / Unbind / BindSlots call. */
export interface BindingChange {
  unbinds: readonly string[];
  binds: readonly BoundEndpoint[];
}

/** An endpoint as read for a change, with the user of its channel (for authorization). */
export type EndpointOfUser = BoundEndpoint & { userId: string };

/**
 * What a change sees, read under a row lock on every channel it binds into: the users of those
 * channels (absent: the channel does not exist), every endpoint of those channels, and the
 * endpoint at each URI the change names wherever it is bound.
 */
export interface BindingState {
  channelUsers: ReadonlyMap<string, string>;
  endpoints: readonly EndpointOfUser[];
}

/** The rows to write: deletes before inserts; `changedChannelIds` each once. */
export interface BindingPlan {
  deletes: Array<{ slotUri: string; channelId: string }>;
  inserts: BoundEndpoint[];
  changedChannelIds: string[];
}

/**
 * Applies a change to what is bound, in memory, entry by entry (unbinds first), with Unbind's and
 * Bind's rules and authorization for each: the first entry refused throws, so a batch is all or
 * nothing. A slot unbound and bound again exactly as it is stays untouched.
 * @throws NotFound (a bind into an unknown channel), PermissionDenied (from `authorize`: a
 *   channel, or a slot already bound, of another user), AlreadyExists (the slot is bound to
 *   another channel or differently), FailedPrecondition (channel invariants, see checkBind)
 */
export function planBindings(
  state: BindingState,
  change: BindingChange,
  authorize: Authorize,
): BindingPlan {
  const byUri = new Map(state.endpoints.map((e) => [e.slotUri, e]));
  // Per channel, so a batch of many slots checks each against its own channel only.
  const byChannel = new Map<string, Map<string, EndpointOfUser>>();
  const endpointsOf = (channelId: string) => {
    let endpoints = byChannel.get(channelId);
    if (endpoints === undefined)
      byChannel.set(channelId, (endpoints = new Map<string, EndpointOfUser>()));
    return endpoints;
  };
  for (const e of state.endpoints) endpointsOf(e.channelId).set(e.slotUri, e);
  const removed = new Map<string, EndpointOfUser>();
  for (const slotUri of change.unbinds) {
    const bound = byUri.get(slotUri);
    if (bound === undefined) continue;
    authorize?.(bound.userId, `slot ${slotUri}`);
    byUri.delete(slotUri);
    endpointsOf(bound.channelId).delete(slotUri);
    removed.set(slotUri, bound);
  }
  const inserts = new Map<string, BoundEndpoint>();
  for (const endpoint of change.binds) {
    const userId = state.channelUsers.get(endpoint.channelId);
    if (userId === undefined) throw new NotFound(`channel ${endpoint.channelId} does not exist`);
    authorize?.(userId, `channel ${endpoint.channelId}`);
    const bound = byUri.get(endpoint.slotUri);
    if (bound !== undefined && bound.channelId !== endpoint.channelId) {
      // A slot bound elsewhere must not be moved, nor its binding revealed, by a VM of another user.
      authorize?.(bound.userId, `slot ${endpoint.slotUri}`);
      throw new AlreadyExists(
        `slot ${endpoint.slotUri} is already bound to channel ${bound.channelId}`,
      );
    }
    const ofChannel = endpointsOf(endpoint.channelId);
    if (checkBind([...ofChannel.values()], endpoint) === 'bound') continue;
    byUri.set(endpoint.slotUri, { ...endpoint, userId });
    ofChannel.set(endpoint.slotUri, { ...endpoint, userId });
    inserts.set(endpoint.slotUri, endpoint);
  }
  for (const [slotUri, before] of removed) {
    const after = inserts.get(slotUri);
    if (after !== undefined && isSameBinding(before, after)) {
      removed.delete(slotUri);
      inserts.delete(slotUri);
    }
  }
  const deletes = [...removed.values()].map(({ slotUri, channelId }) => ({ slotUri, channelId }));
  const changed = new Set([...deletes, ...inserts.values()].map((e) => e.channelId));
  return { deletes, inserts: [...inserts.values()], changedChannelIds: [...changed] };
}

function isSameBinding(a: BoundEndpoint, b: BoundEndpoint): boolean {
  return (
    a.channelId === b.channelId &&
    a.direction === b.direction &&
    a.owner === b.owner &&
    a.taskId === b.taskId
  );
}
