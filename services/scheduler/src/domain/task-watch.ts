import { NotFound } from '@lzy/errors';
import type { TaskStore } from '../db/task-store.ts';
import { EventQueue } from './event-queue.ts';
import type { Task } from './task.ts';
import { isTerminal } from './task.ts';
import type { TaskEvents } from './task-events.ts';

/**
 * WatchTasks: the current status of every matching task, then each change as it is written.
 * Subscribes before reading the snapshot so no change falls in between; per-task versions drop
 * events the snapshot already covered. With `taskIds` it ends once every listed task is
 * terminal; without, it follows the execution (including tasks scheduled later) until `signal`.
 * @throws NotFound for a listed task id unknown in the execution.
 */
export async function* watchTasks(
  deps: { store: TaskStore; events: TaskEvents },
  executionId: string,
  taskIds: readonly string[],
  signal: AbortSignal,
): AsyncGenerator<Task, void, undefined> {
  const wanted = taskIds.length === 0 ? undefined : new Set(taskIds);
  const queue = new EventQueue<Task>();
  const unsubscribe = deps.events.subscribe(executionId, (task) => {
    if (wanted === undefined || wanted.has(task.taskId)) queue.push(task);
  });
  try {
    const snapshot = await deps.store.listByExecution(executionId, taskIds);
    if (wanted !== undefined) {
      const known = new Set(snapshot.map((t) => t.taskId));
      const missing = [...wanted].filter((id) => !known.has(id));
      if (missing.length > 0) {
        throw new NotFound(`tasks not found in execution ${executionId}: ${missing.join(', ')}`);
      }
    }
    const versions = new Map<string, number>();
    const running = new Set<string>();
    const track = (task: Task) => {
      versions.set(task.taskId, task.version);
      if (isTerminal(task.state)) running.delete(task.taskId);
      else running.add(task.taskId);
    };
    for (const task of snapshot) {
      track(task);
      yield task;
    }
    while (wanted === undefined || running.size > 0) {
      const task = await queue.next(signal);
      if (task.version <= (versions.get(task.taskId) ?? 0)) continue;
      track(task);
      yield task;
    }
  } finally {
    unsubscribe();
  }
}
