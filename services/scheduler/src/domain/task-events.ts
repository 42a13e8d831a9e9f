import type { Task } from './task.ts';

export type TaskListener = (task: Task) => void;

/**
 * In-process fan-out of task changes by execution id. Published by the code that writes the
 * state (TaskTransitions), consumed by WatchTasks streams: push, no polling. One scheduler
 * instance owns its tasks, so no cross-process channel is needed.
 */
export class TaskEvents {
  readonly #listeners = new Map<string, Set<TaskListener>>();

  /** @returns unsubscribe; idempotent. */
  subscribe(executionId: string, listener: TaskListener): () => void {
    let set = this.#listeners.get(executionId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(executionId, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(executionId);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(executionId);
    };
  }

  publish(task: Task): void {
    for (const listener of this.#listeners.get(task.executionId) ?? []) listener(task);
  }
}
