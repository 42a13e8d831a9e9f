import { InvalidArgument } from '@lzy/errors';
import { commonSlot } from '@lzy/proto';
import type { commonOperation } from '@lzy/proto';
import type { TaskNeeds } from '@lzy/tasks';

/** A task as the caller sent it. */
export interface GraphTaskInput {
  id: string;
  taskDesc?: commonOperation.TaskDesc | undefined;
  /** undefined: the whole VM. */
  needs?: TaskNeeds | undefined;
  /** 0: the scheduler's default. */
  maxAttempts?: number;
  /** Also run again after the op's own non-zero exit. */
  retryOnFailure?: boolean;
}

/** A validated task with the tasks whose outputs it reads (its producers inside the graph). */
export interface PlannedTask {
  id: string;
  operationName: string;
  taskDesc: commonOperation.TaskDesc;
  producers: string[];
  needs: TaskNeeds | undefined;
  maxAttempts: number;
  retryOnFailure: boolean;
}

/**
 * Bound on tasks per graph (LZY: 100). A 10,000-op map-reduce must run (issue 11); beyond this
 * bound a graph is refused rather than exhausting memory.
 */
export const MAX_TASKS_PER_GRAPH = 100_000;

interface SlotUse {
  taskId: string;
  channelId: string;
}

/**
 * Pairs each slot assignment with its declared slot. A name may be declared twice, once INPUT
 * and once OUTPUT (pylzy's `f(f(x))`: the input path is `/<call>/f.return_0`, its own output
 * path, python-client-protocol §4.1); the assignments of one name then match its declarations in
 * order (the k-th assignment of a name is the k-th declared slot of that name).
 */
function slotUses(task: GraphTaskInput & { taskDesc: commonOperation.TaskDesc }) {
  const declared = new Map<string, commonSlot.Slot[]>();
  for (const slot of task.taskDesc.operation?.slots ?? []) {
    declared.set(slot.name, [...(declared.get(slot.name) ?? []), slot]);
  }
  const matched = new Map<string, number>();
  const inputs: SlotUse[] = [];
  const outputs: SlotUse[] = [];
  for (const assignment of task.taskDesc.slotAssignments) {
    const index = matched.get(assignment.slotName) ?? 0;
    matched.set(assignment.slotName, index + 1);
    const slot = declared.get(assignment.slotName)?.[index];
    if (slot === undefined)
      throw new InvalidArgument(
        index === 0
          ? `task ${task.id}: slot '${assignment.slotName}' is assigned a channel but not declared by its operation`
          : `task ${task.id}: slot '${assignment.slotName}' is assigned more channels than it is declared`,
      );
    if (assignment.channelId === '')
      throw new InvalidArgument(`task ${task.id}: slot '${assignment.slotName}' has no channel`);
    const use = { taskId: task.id, channelId: assignment.channelId };
    if (slot.direction === commonSlot.Slot_Direction.INPUT) inputs.push(use);
    else if (slot.direction === commonSlot.Slot_Direction.OUTPUT) outputs.push(use);
    else
      throw new InvalidArgument(
        `task ${task.id}: slot '${slot.name}' must have direction INPUT or OUTPUT`,
      );
  }
  return { inputs, outputs };
}

/**
 * Validates a graph and finds each task's producers (reference §5.3, edges from slot
 * assignments): a task reading channel C depends on the task of this graph writing C; a channel
 * no task of the graph writes is already stored (the portal serves it) and adds no edge.
 * @throws InvalidArgument for an empty or oversized graph, a missing/duplicate task id or
 *   operation, an undeclared slot, two tasks writing one channel, or a cycle (naming its tasks).
 */
export function planGraph(tasks: readonly GraphTaskInput[]): PlannedTask[] {
  if (tasks.length === 0) throw new InvalidArgument('the graph has no tasks');
  if (tasks.length > MAX_TASKS_PER_GRAPH)
    throw new InvalidArgument(`a graph may have at most ${MAX_TASKS_PER_GRAPH} tasks`);
  const seen = new Set<string>();
  const writerOf = new Map<string, string>();
  const readsOf = new Map<string, SlotUse[]>();
  const valid: (GraphTaskInput & { taskDesc: commonOperation.TaskDesc })[] = [];
  for (const task of tasks) {
    if (task.id === '') throw new InvalidArgument('every task needs an id');
    if (seen.has(task.id)) throw new InvalidArgument(`task id ${task.id} appears twice`);
    seen.add(task.id);
    if (task.taskDesc?.operation === undefined)
      throw new InvalidArgument(`task ${task.id} has no operation`);
    const withDesc = { ...task, taskDesc: task.taskDesc };
    valid.push(withDesc);
    const { inputs, outputs } = slotUses(withDesc);
    readsOf.set(task.id, inputs);
    for (const out of outputs) {
      const other = writerOf.get(out.channelId);
      if (other !== undefined)
        throw new InvalidArgument(
          `channel ${out.channelId} is written by two tasks: ${other} and ${task.id}`,
        );
      writerOf.set(out.channelId, task.id);
    }
  }
  const planned = valid.map((task): PlannedTask => {
    const producers = new Set<string>();
    for (const input of readsOf.get(task.id) ?? []) {
      const writer = writerOf.get(input.channelId);
      if (writer !== undefined) producers.add(writer);
    }
    return {
      id: task.id,
      operationName: task.taskDesc.operation?.name ?? '',
      taskDesc: task.taskDesc,
      producers: [...producers],
      needs: task.needs,
      maxAttempts: task.maxAttempts ?? 0,
      retryOnFailure: task.retryOnFailure ?? false,
    };
  });
  rejectCycles(planned);
  return planned;
}

/**
 * Depth-first search over producer edges with an explicit stack (a chain of 10⁴ tasks would
 * overflow a recursive one); the first back edge found is reported as a path.
 */
function rejectCycles(tasks: readonly PlannedTask[]): void {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const done = new Set<string>();
  const onPath = new Set<string>();
  for (const root of tasks) {
    if (done.has(root.id)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root.id, next: 0 }];
    onPath.add(root.id);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const producers = byId.get(frame.id)?.producers ?? [];
      const producer = producers[frame.next++];
      if (producer === undefined) {
        stack.pop();
        onPath.delete(frame.id);
        done.add(frame.id);
        continue;
      }
      if (done.has(producer)) continue;
      if (onPath.has(producer)) {
        const path = stack.map((f) => f.id);
        const cycle = [...path.slice(path.indexOf(producer)), producer].reverse();
        const names = cycle.map((t) => `${byId.get(t)?.operationName ?? ''} (${t})`);
        throw new InvalidArgument(`the graph has a cycle: ${names.join(' -> ')}`);
      }
      onPath.add(producer);
      stack.push({ id: producer, next: 0 });
    }
  }
}
