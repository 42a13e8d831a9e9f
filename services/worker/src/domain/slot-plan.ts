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
  /** `$LZY_MOUNT` + this is the slot's file: the slot's name, or its own path for a repeated input. */
  localPath: string;
  filePath: string;
  slotUri: string;
  /**
   * An input's sender as planned by lzy-service (SlotToChannelAssignment.lzyTsSenderUri: the
   * portal's sender of a stored input), read without the channel-manager; undefined: none.
   */
  plannedSender?: string | undefined;
}

/** The slots of a task, and how repeated input paths were given files of their own. */
export interface SlotPlan {
  slots: PlannedSlot[];
  /**
   * For each input path declared for different data (pylzy's `total(*[square(i) …])`: every input
   * is `/<call>/square.return_0`), the local path of each of its input slots in declared order.
   * Empty when every path names one piece of data, which is the only case a command can rely on.
   */
  repeatedInputs: Map<string, string[]>;
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
 * the slot table.
 *
 * pylzy names an input that is a previous result after its producer, so several results of one
 * op passed to one call share a path. The same channel twice is one input (one file, §4.6); each
 * further channel of that path gets a file of its own, `<path>.input-<n>`, and `repeatedInputs`
 * says which occurrence reads which file (the caller must make the command read them so).
 * @throws InvalidArgument for a slot without a channel, a slot of unknown direction, a bad name,
 *   or one path declared for two different outputs
 */
export function planSlots(
  taskDesc: commonOperation.TaskDesc,
  where: { taskDir: string; address: string; taskId: string },
): SlotPlan {
  const assignments = new Map<string, commonOperation.SlotToChannelAssignment[]>();
  for (const a of taskDesc.slotAssignments)
    assignments.set(a.slotName, [...(assignments.get(a.slotName) ?? []), a]);
  const declared = taskDesc.operation?.slots ?? [];
  const taken = new Set(declared.map((s) => s.name));
  const matched = new Map<string, number>();
  const planned: PlannedSlot[] = [];
  /** Per input path: the local path of each occurrence, in declared order. */
  const occurrences = new Map<string, string[]>();
  for (const slot of declared) {
    const index = matched.get(slot.name) ?? 0;
    matched.set(slot.name, index + 1);
    const assignment = assignments.get(slot.name)?.[index];
    const channelId = assignment?.channelId;
    if (channelId === undefined || channelId === '')
      throw new InvalidArgument(`slot ${slot.name} has no channel in task_desc.slotAssignments`);
    const direction = directionOf(slot);
    const same = planned.filter((p) => p.slot.name === slot.name && p.direction === direction);
    if (direction === 'OUTPUT' && same.length > 0)
      throw new InvalidArgument(`slot ${slot.name} is declared for two different outputs`);
    const known = same.find((p) => p.channelId === channelId);
    const localPath = known?.localPath ?? freePath(slot.name, same.length, taken);
    if (direction === 'INPUT')
      occurrences.set(slot.name, [...(occurrences.get(slot.name) ?? []), localPath]);
    if (known !== undefined) continue;
    planned.push({
      slot,
      direction,
      channelId,
      localPath,
      filePath: slotFilePath(where.taskDir, localPath),
      slotUri: workerSlotUri(where.address, where.taskId, localPath),
      ...(direction === 'INPUT' && assignment?.lzyTsSenderUri
        ? { plannedSender: assignment.lzyTsSenderUri }
        : {}),
    });
  }
  const outputNames = new Set(
    planned.filter((p) => p.direction === 'OUTPUT').map((p) => p.localPath),
  );
  const slots = planned.map((p) =>
    p.direction === 'INPUT' && outputNames.has(p.localPath)
      ? { ...p, slotUri: `${p.slotUri}?input` }
      : p,
  );
  const repeatedInputs = new Map(
    [...occurrences].filter(([name, paths]) => paths.some((p) => p !== name)),
  );
  return { slots, repeatedInputs };
}

/** `name` for the first piece of data of a path, else `<name>.input-<n>` not declared by anyone. */
function freePath(name: string, sameBefore: number, taken: Set<string>): string {
  if (sameBefore === 0) return name;
  let n = sameBefore;
  while (taken.has(`${name}.input-${n}`)) n += 1;
  const local = `${name}.input-${n}`;
  taken.add(local);
  return local;
}

function directionOf(slot: commonSlot.Slot): PlannedSlot['direction'] {
  if (slot.direction === commonSlot.Slot_Direction.INPUT) return 'INPUT';
  if (slot.direction === commonSlot.Slot_Direction.OUTPUT) return 'OUTPUT';
  throw new InvalidArgument(`slot ${slot.name} must be INPUT or OUTPUT`);
}
