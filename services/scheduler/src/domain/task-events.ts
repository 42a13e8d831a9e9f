import type { Task } from './task.ts';

export type TaskBatchListener = (tasks: readonly Task[]) => void;

/**
 * In-process fan-out of stored task changes by execution id, in batches as they were written
 * (TaskWriter, Submit). Consumed by WatchTasks streams: push, no polling.
 */
export class TaskEvents {
  readonly #listeners = new Map<string, Set<TaskBatchListener>>();

  /** @returns unsubscribe; idempotent. */
  subscribe(executionId: string, listener: TaskBatchListener): () => void {
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

  /** Publishes stored tasks, one batch per execution, in the order given. */
  publish(tasks: readonly Task[]): void {
    const byExecution = new Map<string, Task[]>();
    for (const task of tasks) {
      const list = byExecution.get(task.executionId);
      if (list === undefined) byExecution.set(task.executionId, [task]);
      else list.push(task);
    }
    for (const [executionId, batch] of byExecution)
      for (const listener of this.#listeners.get(executionId) ?? []) listener(batch);
  }
}
