import type { NewTask, TaskStore } from '../db/task-store.ts';
import type { Task, TaskState } from './task.ts';
import type { TaskEvents } from './task-events.ts';

/**
 * The one place that changes a task's state: writes it, then publishes the new status to
 * WatchTasks streams, so every written state is pushed (and nothing unwritten is).
 */
export class TaskTransitions {
  readonly #store: TaskStore;
  readonly #events: TaskEvents;

  constructor(deps: { store: TaskStore; events: TaskEvents }) {
    this.#store = deps.store;
    this.#events = deps.events;
  }

  /** Persists a new QUEUED task; an existing id returns the stored task, `created: false`. */
  async create(task: NewTask): Promise<{ task: Task; created: boolean }> {
    const result = await this.#store.insert(task);
    if (result.created) this.#events.publish(result.task);
    return result;
  }

  /** @returns the changed task, or undefined if it was no longer in one of `from`. */
  async move(
    taskId: string,
    from: readonly TaskState[],
    to: TaskState,
    result: { rc?: number; description?: string; vmReleased?: boolean } = {},
  ): Promise<Task | undefined> {
    const task = await this.#store.transition(taskId, from, to, result);
    if (task !== undefined) this.#events.publish(task);
    return task;
  }

  /** Admits the user's oldest queued tasks within the VM limit (QUEUED → ALLOCATING). */
  async admit(userId: string, maxVms: number): Promise<Task[]> {
    const tasks = await this.#store.admit(userId, maxVms);
    for (const task of tasks) this.#events.publish(task);
    return tasks;
  }
}
