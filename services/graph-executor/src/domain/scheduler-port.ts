import type { TaskStatus } from '@lzy/tasks';
import type { GraphRecord } from './graph-store-port.ts';

/** The scheduler as the graph runner uses it (clients/scheduler-client.ts over gRPC). */
export interface SchedulerPort {
  /** Sends every task of the graph with its dependencies. Idempotent per task id. */
  submit(graph: GraphRecord): Promise<void>;
  /** Idempotent; empty `taskIds`: every unfinished task of the execution. */
  stopTasks(executionId: string, taskIds: readonly string[], reason: string): Promise<void>;
  /** Every task of the execution, as stored now. */
  listTasks(executionId: string): Promise<TaskStatus[]>;
  /**
   * Batches of the execution's task statuses changed after `afterVersion`, then each stored
   * batch of changes, until `signal` aborts. Throws when the stream breaks.
   */
  watchTasks(
    executionId: string,
    afterVersion: number,
    signal: AbortSignal,
  ): AsyncIterable<TaskStatus[]>;
}
