import { AlreadyExists, FailedPrecondition, InvalidArgument } from '@lzy/errors';
import type { commonSlot } from '@lzy/proto';

/** INPUT = receiver (reads the data), OUTPUT = sender (serves it). */
export type SlotDirection = 'INPUT' | 'OUTPUT';
/** Who serves the slot: a task's worker or the execution's portal. */
export type SlotOwner = 'WORKER' | 'PORTAL';

/** A slot bound to a channel. */
export interface BoundEndpoint {
  slotUri: string;
  channelId: string;
  taskId: string;
  direction: SlotDirection;
  owner: SlotOwner;
  slot: commonSlot.SlotInstance;
}

/** A channel with its bound endpoints. */
export interface ChannelRecord {
  channelId: string;
  executionId: string;
  workflowName: string;
  userId: string;
  channelName: string;
  schemeJson: string;
  endpoints: BoundEndpoint[];
}

/** A channel as CreateChannel stores it. */
export type NewChannel = Omit<ChannelRecord, 'endpoints'>;

/**
 * The id of the channel `channelName` of an execution: `<executionId>/<channelName>`, or the
 * name itself when the caller already made it `<executionId>/…` (lzy-service's deterministic
 * `<executionId>/<sha256(storageUri) first 16 hex>`), so both ways of calling give that id.
 * @throws InvalidArgument for an empty execution id or name.
 */
export function channelIdFor(executionId: string, channelName: string): string {
  if (executionId === '') throw new InvalidArgument('execution_id is required');
  if (channelName === '') throw new InvalidArgument('spec.channel_name is required');
  const prefix = `${executionId}/`;
  return channelName.startsWith(prefix) ? channelName : prefix + channelName;
}

/**
 * Checks the channel invariants (reference §6.1, §16 item 15) for binding `candidate` next to
 * the channel's current `endpoints`: at most one WORKER sender, at most one PORTAL endpoint.
 * @returns 'bound' if this very slot is already bound the same way (idempotent retry), 'new' if
 *   it may be inserted.
 * @throws AlreadyExists if the slot URI is bound differently; FailedPrecondition if an
 *   invariant would break.
 */
export function checkBind(
  endpoints: readonly BoundEndpoint[],
  candidate: Omit<BoundEndpoint, 'slot'>,
): 'bound' | 'new' {
  const same = endpoints.find((e) => e.slotUri === candidate.slotUri);
  if (same !== undefined) {
    if (same.direction === candidate.direction && same.owner === candidate.owner) return 'bound';
    throw new AlreadyExists(
      `slot ${candidate.slotUri} is already bound as ${same.owner} ${same.direction}; unbind it first`,
    );
  }
  if (candidate.owner === 'PORTAL') {
    const portal = endpoints.find((e) => e.owner === 'PORTAL');
    if (portal !== undefined)
      throw new FailedPrecondition(
        `channel ${candidate.channelId} already has a portal endpoint (${portal.slotUri})`,
      );
  } else if (candidate.direction === 'OUTPUT') {
    const sender = endpoints.find((e) => e.owner === 'WORKER' && e.direction === 'OUTPUT');
    if (sender !== undefined)
      throw new FailedPrecondition(
        `channel ${candidate.channelId} already has a worker sender (${sender.slotUri})`,
      );
  }
  return 'new';
}

/**
 * The sender a receiver should read from: the WORKER sender if one is bound (direct worker to
 * worker), else the PORTAL sender (data already in storage). A PORTAL receiver only ever reads
 * from the worker sender. undefined while there is none.
 */
export function preferredSender(
  endpoints: readonly BoundEndpoint[],
  receiver: Pick<BoundEndpoint, 'owner'>,
): BoundEndpoint | undefined {
  const senders = endpoints.filter((e) => e.direction === 'OUTPUT');
  const worker = senders.find((e) => e.owner === 'WORKER');
  if (worker !== undefined || receiver.owner === 'PORTAL') return worker;
  return senders.find((e) => e.owner === 'PORTAL');
}
