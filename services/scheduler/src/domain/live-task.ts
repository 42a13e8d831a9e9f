import { commonOperation, commonSlot } from '@lzy/proto';
import type { TaskNeeds } from '@lzy/tasks';
import type { Task, TaskProgress } from './task.ts';
import { progressOf } from './task.ts';

/** A VM the scheduler holds for a session (see Dispatcher). */
export interface HeldVm {
  /** The allocator's id once Allocate answered (`pending-…` before). */
  vmId: string;
  readonly owner: string;
  /** `<pool>\0<zone>`: the queue it serves. */
  readonly poolKey: string;
  readonly capacity: TaskNeeds;
  /** Its worker's host:port once registered. */
  address: string | undefined;
  state: 'allocating' | 'ready' | 'gone';
  used: TaskNeeds;
  /** Tasks sent to it and not yet exited. */
  readonly running: Map<string, LiveTask>;
  linger: NodeJS.Timeout | undefined;
  /** Ends its link and loss watch. */
  readonly closed: AbortController;
}

/** An unfinished task in the dispatcher's memory. */
export interface LiveTask {
  readonly task: Task;
  progress: TaskProgress;
  /** Tasks it depends on that have not exited successfully yet. */
  readonly pending: Set<string>;
  readonly needs: TaskNeeds;
  readonly owner: string;
  readonly poolKey: string;
  /** Channels of its input slots (their senders are hints for the worker). */
  readonly inputChannels: readonly string[];
  vm: HeldVm | undefined;
  /** Its command exited 0 on `vm`: capacity and dependents were released. */
  exited: boolean;
}

export function poolKeyOf(poolLabel: string, zone: string): string {
  return `${poolLabel}\0${zone}`;
}

export function splitPoolKey(key: string): { poolLabel: string; zone: string } {
  const [poolLabel = '', zone = ''] = key.split('\0');
  return { poolLabel, zone };
}

/** The channel ids of a task's INPUT slots. */
function inputChannelsOf(taskDesc: Uint8Array): string[] {
  const desc = commonOperation.TaskDesc.decode(taskDesc);
  const inputs = new Set(
    (desc.operation?.slots ?? [])
      .filter((s) => s.direction === commonSlot.Slot_Direction.INPUT)
      .map((s) => s.name),
  );
  return [
    ...new Set(desc.slotAssignments.filter((a) => inputs.has(a.slotName)).map((a) => a.channelId)),
  ];
}

export function liveTask(
  task: Task,
  context: { owner: string; needs: TaskNeeds; pending: Iterable<string> },
): LiveTask {
  return {
    task,
    progress: progressOf(task),
    pending: new Set(context.pending),
    needs: context.needs,
    owner: context.owner,
    poolKey: poolKeyOf(task.poolLabel, task.zone),
    inputChannels: inputChannelsOf(task.taskDesc),
    vm: undefined,
    exited: false,
  };
}
