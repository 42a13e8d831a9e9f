import path from 'node:path';
import { InvalidArgument } from '@lzy/errors';
import { commonSlot } from '@lzy/proto';
import type { commonOperation } from '@lzy/proto';
import { slotFilePath, workerSlotUri } from './slot-paths.ts';

/** One declared slot of a task with everything needed to bind and materialise it. */
export interface PlannedSlot {
  slot: commonSlot.Slot;
  direction: 'INPUT' | 'OUTPUT';
  channelId: string;
  filePath: string;
  slotUri: string;
}

/**
 * The task's directory: `<mountDir>/<taskId>`, the command's LZY_MOUNT.
 * @throws InvalidArgument if the task id is not a plain path segment
 */
export function taskDirectory(mountDir: string, taskId: string): string {
  if (!/^[A-Za-z0-9._:-]+$/.test(taskId) || taskId === '.' || taskId === '..')
    throw new InvalidArgument(
      `task id ${JSON.stringify(taskId)} must be non-empty letters, digits, '.', '_', ':' or '-'`,
    );
  return path.join(mountDir, taskId);
}

/**
 * Pairs each declared slot of `taskDesc` with its channel (slotAssignments) and local file.
 *
 * The k-th assignment of a name belongs to the k-th declared slot of that name: pylzy's `f(f(x))`
 * gives the second call an INPUT and an OUTPUT slot of the same path (python-client-protocol
 * §4.1). Both use the file `$LZY_MOUNT<path>`: the input is downloaded there before the command,
 * the op reads it and overwrites it with its result, which is then exposed as the output. The
 * input's slot URI gets a `?input` suffix so the two slots stay apart in the channel-manager and
 * the slot table. The same input passed twice (same path, same channel) is planned once (§4.6).
 * @throws InvalidArgument for a slot without a channel, a slot of unknown direction, a bad name,
 *   or one path declared for two different inputs or two outputs
 */
export function planSlots(
  taskDesc: commonOperation.TaskDesc,
  where: { taskDir: string; address: string; taskId: string },
): PlannedSlot[] {
  const channels = new Map<string, string[]>();
  for (const a of taskDesc.slotAssignments)
    channels.set(a.slotName, [...(channels.get(a.slotName) ?? []), a.channelId]);
  const matched = new Map<string, number>();
  const planned: PlannedSlot[] = [];
  for (const slot of taskDesc.operation?.slots ?? []) {
    const index = matched.get(slot.name) ?? 0;
    matched.set(slot.name, index + 1);
    const channelId = channels.get(slot.name)?.[index];
    if (channelId === undefined || channelId === '')
      throw new InvalidArgument(`slot ${slot.name} has no channel in task_desc.slotAssignments`);
    const direction = directionOf(slot);
    const same = planned.find((p) => p.slot.name === slot.name && p.direction === direction);
    if (same !== undefined) {
      if (direction === 'INPUT' && same.channelId === channelId) continue;
      throw new InvalidArgument(
        `slot ${slot.name} is declared for two different ${direction === 'INPUT' ? 'inputs' : 'outputs'}`,
      );
    }
    planned.push({
      slot,
      direction,
      channelId,
      filePath: slotFilePath(where.taskDir, slot.name),
      slotUri: workerSlotUri(where.address, where.taskId, slot.name),
    });
  }
  const outputNames = new Set(
    planned.filter((p) => p.direction === 'OUTPUT').map((p) => p.slot.name),
  );
  return planned.map((p) =>
    p.direction === 'INPUT' && outputNames.has(p.slot.name)
      ? { ...p, slotUri: `${p.slotUri}?input` }
      : p,
  );
}

function directionOf(slot: commonSlot.Slot): PlannedSlot['direction'] {
  if (slot.direction === commonSlot.Slot_Direction.INPUT) return 'INPUT';
  if (slot.direction === commonSlot.Slot_Direction.OUTPUT) return 'OUTPUT';
  throw new InvalidArgument(`slot ${slot.name} must be INPUT or OUTPUT`);
}
