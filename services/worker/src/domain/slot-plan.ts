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
 * @throws InvalidArgument for a slot without a channel, a slot of unknown direction or a bad name
 */
export function planSlots(
  taskDesc: commonOperation.TaskDesc,
  where: { taskDir: string; address: string; taskId: string },
): PlannedSlot[] {
  const channels = new Map(taskDesc.slotAssignments.map((a) => [a.slotName, a.channelId]));
  return (taskDesc.operation?.slots ?? []).map((slot) => {
    const channelId = channels.get(slot.name);
    if (channelId === undefined || channelId === '')
      throw new InvalidArgument(`slot ${slot.name} has no channel in task_desc.slotAssignments`);
    let direction: PlannedSlot['direction'];
    if (slot.direction === commonSlot.Slot_Direction.INPUT) direction = 'INPUT';
    else if (slot.direction === commonSlot.Slot_Direction.OUTPUT) direction = 'OUTPUT';
    else throw new InvalidArgument(`slot ${slot.name} must be INPUT or OUTPUT`);
    return {
      slot,
      direction,
      channelId,
      filePath: slotFilePath(where.taskDir, slot.name),
      slotUri: workerSlotUri(where.address, where.taskId, slot.name),
    };
  });
}
