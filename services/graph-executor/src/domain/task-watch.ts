import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@lzy/logging';
import type { TaskStatus } from '@lzy/tasks';
import type { SchedulerPort } from './scheduler-port.ts';

export interface TaskWatchDeps {
  scheduler: SchedulerPort;
  executionId: string;
  /** A batch of changed statuses (in version order). */
  onStatuses: (statuses: TaskStatus[]) => void;
  /** Called before every re-opening of the stream (not the first), e.g. to re-send Schedule. */
  onReconnect: () => void;
  log: Logger;
  /** First reconnect delay, doubled up to maxDelayMs; reset by a received message. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * One WatchTasks stream per execution with running graphs, re-opened with backoff whenever it
 * breaks (the scheduler may restart): its first messages re-synchronise every task's status,
 * so nothing is lost while it was down. Constructor does nothing; start() opens, stop() ends.
 */
export class TaskWatch {
  readonly #deps: TaskWatchDeps;
  readonly #controller = new AbortController();
  #running: Promise<void> | undefined;
  /** The highest version received: a re-opened stream continues after it. */
  #lastVersion = 0;

  constructor(deps: TaskWatchDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Ends the stream; resolves when the loop has exited. Idempotent. */
  async stop(): Promise<void> {
    this.#controller.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const { signal } = this.#controller;
    const initialDelayMs = this.#deps.initialDelayMs ?? 250;
    const maxDelayMs = this.#deps.maxDelayMs ?? 5_000;
    const log = this.#deps.log;
    let delayMs = initialDelayMs;
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (attempt > 0) this.#deps.onReconnect();
      try {
        for await (const batch of this.#deps.scheduler.watchTasks(
          this.#deps.executionId,
          this.#lastVersion,
          signal,
        )) {
          delayMs = initialDelayMs;
          for (const status of batch)
            this.#lastVersion = Math.max(this.#lastVersion, status.version);
          this.#deps.onStatuses(batch);
        }
        if (!signal.aborted) log.warn('scheduler ended the WatchTasks stream; re-opening');
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err, retryInMs: delayMs }, 'WatchTasks stream broke; re-opening');
      }
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}
