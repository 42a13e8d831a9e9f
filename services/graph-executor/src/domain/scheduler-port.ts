import type { commonOperation, scheduler } from '@lzy/proto';

/** A task released to the scheduler (its Schedule request). */
export interface TaskToSchedule {
  taskId: string;
  executionId: string;
  workflowName: string;
  userId: string;
  taskDesc: commonOperation.TaskDesc;
  portalAddress: string;
}

/** The scheduler as the graph runner uses it (clients/scheduler-client.ts over gRPC). */
export interface SchedulerPort {
  /** Idempotent on (executionId, taskId). @returns the task's current status. */
  schedule(task: TaskToSchedule): Promise<scheduler.TaskStatus | undefined>;
  /** Idempotent. */
  stopTask(executionId: string, taskId: string, reason: string): Promise<void>;
  /**
   * Statuses of every task of the execution: the current ones first, then each change, until
   * `signal` aborts. Throws when the stream breaks.
   */
  watchTasks(executionId: string, signal: AbortSignal): AsyncIterable<scheduler.TaskStatus>;
}
