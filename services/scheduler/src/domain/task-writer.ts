import type { Logger } from '@lzy/logging';
import type { TaskStore } from '../db/task-store.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { backoffMs } from './retry.ts';
import type { TaskProgress } from './task.ts';
import type { TaskEvents } from './task-events.ts';

/**
 * Group commit of task progress: every change made while a write is in flight (or in the same
 * turn of the event loop) goes into the next write, one UPDATE statement for all of them, so a
 * burst of transitions costs a few transactions, not one each. Durable before published: a
 * WatchTasks stream only ever sees stored states. The dispatcher does not wait for a write to
 * act on a change (warm dispatch): after a crash it learns what happened from its workers.
 */
export class TaskWriter {
  readonly #store: TaskStore;
  readonly #events: TaskEvents;
  readonly #log: Logger;
  readonly #retryBackoffMs: number;
  #pending = new Map<string, TaskProgress>();
  #waiters: Array<() => void> = [];
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(deps: { store: TaskStore; events: TaskEvents; log: Logger; retryBackoffMs: number }) {
    this.#store = deps.store;
    this.#events = deps.events;
    this.#log = deps.log.child({ component: 'task-writer' });
    this.#retryBackoffMs = deps.retryBackoffMs;
  }

  /** Queues the task's progress (a later write of the same task replaces it). */
  write(taskId: string, progress: TaskProgress): void {
    this.#pending.set(taskId, progress);
    this.#running ??= this.#drain();
  }

  /** Resolves once everything written so far is stored. */
  flushed(): Promise<void> {
    if (this.#running === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stores what is pending, then stops taking writes. */
  async close(): Promise<void> {
    await this.flushed();
    this.#closed = true;
  }

  async #drain(): Promise<void> {
    // Let the current turn add its changes to the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#pending.size > 0 && !this.#closed) {
      const batch = this.#pending;
      const waiters = this.#waiters;
      this.#pending = new Map();
      this.#waiters = [];
      await this.#writeBatch(batch);
      for (const resolve of waiters) resolve();
    }
    this.#running = undefined;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  async #writeBatch(batch: Map<string, TaskProgress>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.#events.publish(await this.#store.writeProgress(batch));
        return;
      } catch (err) {
        if (this.#closed) return;
        this.#log.warn({ err, tasks: batch.size, attempt }, 'cannot store task progress; retrying');
        // Newer progress of the same tasks replaces this batch's.
        for (const [taskId, progress] of this.#pending) batch.set(taskId, progress);
        this.#pending = new Map();
        await delay(backoffMs(this.#retryBackoffMs, attempt));
      }
    }
  }
}
