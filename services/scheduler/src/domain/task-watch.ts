import type { TaskStore } from '../db/task-store.ts';
import { EventQueue } from './event-queue.ts';
import type { Task } from './task.ts';
import type { TaskEvents } from './task-events.ts';

/** Statuses per message of the first (catch-up) part of WatchTasks. */
const CATCH_UP_BATCH = 500;

/**
 * WatchTasks: every task of the execution changed after `afterVersion`, then each stored batch
 * of changes as it is published, until `signal`. Subscribes before reading so no change falls in
 * between; a change the catch-up already covered (same or older version of that task) is dropped.
 */
export async function* watchTasks(
  deps: { store: TaskStore; events: TaskEvents },
  executionId: string,
  afterVersion: number,
  signal: AbortSignal,
): AsyncGenerator<Task[], void, undefined> {
  const queue = new EventQueue<readonly Task[]>();
  const unsubscribe = deps.events.subscribe(executionId, (batch) => queue.push(batch));
  try {
    const seen = new Map<string, number>();
    const catchUp = await deps.store.listByExecution(executionId, afterVersion);
    for (const task of catchUp) seen.set(task.taskId, task.version);
    for (let i = 0; i < catchUp.length; i += CATCH_UP_BATCH)
      yield catchUp.slice(i, i + CATCH_UP_BATCH);
    for (;;) {
      const batch = (await queue.next(signal)).filter(
        (task) => task.version > Math.max(afterVersion, seen.get(task.taskId) ?? 0),
      );
      for (const task of batch) seen.set(task.taskId, task.version);
      if (batch.length > 0) yield batch;
    }
  } finally {
    unsubscribe();
  }
}
