import type { Logger } from '@lzy/logging';
import { commonSlot } from '@lzy/proto';
import type { MonitorStore } from '../db/monitor-store.ts';
import type { RecordedOp, RecordedSlot } from './monitor-model.ts';
import type { Clock } from '@lzy/operations';
import type { GraphsPort, Neighbours, PortalPort, SubmittedTask } from './ports.ts';

/**
 * The neighbours with two calls observed for the execution monitor: the portal's snapshot slots
 * (which storage URI each channel carries) and the tasks submitted to graph-executor (the only
 * complete record of a graph's ops and edges). Observing the ports keeps the monitor out of the
 * workflow code. A failed record is logged and never fails the submission; both are idempotent,
 * so a replayed ExecuteGraph changes nothing.
 */
export function recordGraphPlans(
  neighbours: Neighbours,
  deps: { store: MonitorStore; clock: Clock; log: Logger },
): Neighbours {
  const { store, log } = deps;
  const swallow = (what: string) => (err: unknown) =>
    log.warn({ err }, `execution monitor: cannot record ${what}`);
  /** Channel records in flight per execution: a graph is recorded only after its channels. */
  const recording = new Map<string, Promise<void>>();
  const portal = intercept<PortalPort>(neighbours.portal, {
    openSlots: async (address, slots) => {
      // Recorded before the portal is asked: lzy-service sends OpenSlots and the graph at once,
      // and whoever shows the graph (the site) must find its storage URIs with it.
      const executionId = slots[0]?.channelId.split('/')[0];
      if (executionId !== undefined) {
        const record = store
          .recordChannels(
            executionId,
            slots.map((s) => ({ channelId: s.channelId, storageUri: s.storageUri })),
          )
          .catch(swallow('channels'));
        recording.set(executionId, record);
        void record.then(() => {
          if (recording.get(executionId) === record) recording.delete(executionId);
        });
      }
      await neighbours.portal.openSlots(address, slots);
    },
  });
  const graphs = intercept<GraphsPort>(neighbours.graphs, {
    execute: async (request) => {
      await recording.get(request.executionId);
      await store
        .recordGraph({
          executionId: request.executionId,
          graphId: request.graphId,
          ops: request.tasks.map(recordedOpOf),
          now: new Date(deps.clock.now()),
        })
        .catch(swallow('graph'));
      await neighbours.graphs.execute(request);
    },
  });
  return { ...neighbours, portal, graphs };
}

/** The op as the monitor shows it: slots paired with their assignments by position. */
export function recordedOpOf(task: SubmittedTask): RecordedOp {
  const operation = task.desc.operation;
  const inputs: RecordedSlot[] = [];
  const outputs: RecordedSlot[] = [];
  (operation?.slots ?? []).forEach((slot, index) => {
    const channelId = task.desc.slotAssignments[index]?.channelId ?? '';
    const recorded = { path: slot.name, channelId };
    if (slot.direction === commonSlot.Slot_Direction.OUTPUT) outputs.push(recorded);
    else inputs.push(recorded);
  });
  return {
    taskId: task.id,
    name: operation?.name ?? '',
    description: operation?.description ?? '',
    poolLabel: operation?.requirements?.poolLabel ?? '',
    zone: operation?.requirements?.zone ?? '',
    inputs,
    outputs,
  };
}

/** `target` with some methods replaced; every other member is the target's own (bound). */
function intercept<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(object)
        : value;
    },
  });
}
