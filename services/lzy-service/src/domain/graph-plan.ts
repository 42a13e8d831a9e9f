import { createHash } from 'node:crypto';
import { commonSlot, portalSlotUri } from '@lzy/proto';
import type { commonDataScheme, commonEnv, lzyWorkflow } from '@lzy/proto';
import type { PortalSnapshotSlot, StorageConfig, SubmittedTask } from './ports.ts';

type Graph = lzyWorkflow.Graph;
type Operation = lzyWorkflow.Operation;

/** First 16 hex digits of sha256(uri): the per-data-item part of channel and slot names. */
export function uriDigest(uri: string): string {
  return createHash('sha256').update(uri).digest('hex').slice(0, 16);
}

/** Everything ExecuteGraph creates for one graph; deterministic in its inputs (replays). */
export interface GraphPlan {
  /** Channel names, `<executionId>/<digest>[-stored]`; the channel-manager uses them as ids. */
  channels: string[];
  portalSlots: PortalSnapshotSlot[];
  /** Receiver slot names: the outputs whose SYNCED state completes the graph. */
  outputSlots: string[];
  outputUris: string[];
  tasks: SubmittedTask[];
}

export interface PlanInput {
  executionId: string;
  graphId: string;
  graph: Graph;
  zone: string;
  storage: StorageConfig;
  /** Inputs produced by an earlier graph of this execution: their channel already has a portal receiver. */
  producedEarlier: ReadonlySet<string>;
  /**
   * `host:port` of the execution's portal: a stored input's sender is named in its task
   * (lzyTsSenderUri), so the worker reads it without the channel-manager. '': not named.
   */
  portalAddress: string;
}

/**
 * One channel per data item. Outputs: a portal receiver snapshot slot persisting it to its URI.
 * Inputs nobody in the graph produces: a portal sender slot serving it from storage (on a
 * separate `-stored` channel when an earlier graph's channel for that URI already has the
 * portal as receiver: a channel holds one portal endpoint). One task per operation.
 */
export function planGraph(input: PlanInput): GraphPlan {
  const { executionId, graph } = input;
  const produced = new Set(
    graph.operations.flatMap((op) => op.outputSlots.map((s) => s.storageUri)),
  );
  const channelOf = new Map<string, string>();
  /** Stored inputs' portal sender slot URIs, by storage URI. */
  const senderOf = new Map<string, string>();
  const portalSlots: PortalSnapshotSlot[] = [];
  const withUri = (uri: string): StorageConfig => ({ ...input.storage, uri });
  for (const uri of produced) {
    const channel = `${executionId}/${uriDigest(uri)}`;
    channelOf.set(uri, channel);
    const slot = { slotName: `snapshot-${uriDigest(uri)}`, channelId: channel, storageUri: uri };
    portalSlots.push({ ...slot, kind: 'receiver', storage: withUri(uri) });
  }
  for (const op of graph.operations) {
    for (const { storageUri: uri } of op.inputSlots) {
      if (channelOf.has(uri)) continue;
      const suffix = input.producedEarlier.has(uri) ? '-stored' : '';
      const channel = `${executionId}/${uriDigest(uri)}${suffix}`;
      channelOf.set(uri, channel);
      const slot = { slotName: `stored-${uriDigest(uri)}`, channelId: channel, storageUri: uri };
      portalSlots.push({ ...slot, kind: 'sender', storage: withUri(uri) });
      if (input.portalAddress !== '')
        senderOf.set(uri, portalSlotUri(input.portalAddress, slot.slotName));
    }
  }
  const schemeOf = new Map(graph.dataDescriptions.map((d) => [d.storageUri, d.dataScheme]));
  const tasks = graph.operations.map((op, index): SubmittedTask => {
    const r = op.lzyTsRequirements;
    return {
      id: `${input.graphId}-${index}`,
      desc: taskDescOf(op, input.zone, { channelOf, senderOf }, schemeOf),
      needs: r === undefined ? undefined : { cpu: r.cpuCount, ramGb: r.ramGb, gpu: r.gpuCount },
      maxAttempts: r?.maxAttempts ?? 0,
      retryOnFailure: r?.retryOnFailure ?? false,
    };
  });
  const receivers = portalSlots.filter((slot) => slot.kind === 'receiver');
  return {
    channels: [...new Set(channelOf.values())],
    portalSlots,
    outputSlots: receivers.map((slot) => slot.slotName),
    outputUris: receivers.map((slot) => slot.storageUri),
    tasks,
  };
}

/**
 * The operation's slots (inputs, then outputs) and one assignment per slot IN THE SAME ORDER: an
 * input and an output may share a path (`f(f(x))`, python-client-protocol §4.1), and consumers
 * match the k-th assignment of a name to the k-th declared slot of that name.
 */
function taskDescOf(
  op: Operation,
  zone: string,
  channels: {
    channelOf: ReadonlyMap<string, string>;
    /** Senders known when planning (stored inputs), by storage URI. */
    senderOf: ReadonlyMap<string, string>;
  },
  schemeOf: ReadonlyMap<string, commonDataScheme.DataScheme | undefined>,
): SubmittedTask['desc'] {
  const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
  const { channelOf, senderOf } = channels;
  const slots = [
    ...op.inputSlots.map((slot) => ({ slot, direction: INPUT })),
    ...op.outputSlots.map((slot) => ({ slot, direction: OUTPUT })),
  ];
  return {
    operation: {
      env: envOf(op),
      requirements: { poolLabel: op.poolSpecName, zone },
      command: op.command,
      slots: slots.map(({ slot, direction }) => ({
        name: slot.path,
        media: commonSlot.Slot_Media.FILE,
        direction,
        contentType: schemeOf.get(slot.storageUri),
      })),
      description: op.description,
      name: op.name,
      stdout: undefined,
      stderr: undefined,
    },
    slotAssignments: slots.map(({ slot, direction }) => ({
      slotName: slot.path,
      channelId: channelOf.get(slot.storageUri) ?? '',
      lzyTsSenderUri: (direction === INPUT ? senderOf.get(slot.storageUri) : undefined) ?? '',
    })),
  };
}

function envOf(op: Operation): commonEnv.EnvSpec {
  const python = op.env?.$case === 'python' ? op.env.value : undefined;
  return {
    baseEnv: op.dockerImage === '' ? undefined : { name: op.dockerImage },
    auxEnv:
      python === undefined
        ? undefined
        : {
            env: {
              $case: 'pyenv',
              value: {
                name: '',
                yaml: python.yaml,
                localModules: python.localModules.map((m) => ({ name: m.name, uri: m.url })),
              },
            },
          },
  };
}
