import type { TaskNeeds, TaskState, TaskStatus } from '@lzy/tasks';

/** One task as the scheduler stores it: its status plus what it needs to run. */
export interface Task extends TaskStatus {
  readonly workflowName: string;
  /** Owner of the execution (IAM subject id). */
  readonly userId: string;
  readonly zone: string;
  /** Encoded ai.lzy.v1.common.TaskDesc, passed to the worker as is. */
  readonly taskDesc: Uint8Array;
  readonly portalAddress: string;
  /** Identifies the Submit of this task, to tell a repeat from a conflicting reuse of the id. */
  readonly requestHash: string;
  /** Tasks of the same execution that must succeed first. */
  readonly dependsOn: readonly string[];
  /** undefined: the whole VM of its pool. */
  readonly needs: TaskNeeds | undefined;
  /** Runs at most, counting the first. */
  readonly maxAttempts: number;
  /** Also run again after the op's own non-zero exit (else only a lost VM or rc 98). */
  readonly retryOnFailure: boolean;
}

/** What the scheduler changes of a task as it runs (written in batches, see TaskWriter). */
export interface TaskProgress {
  readonly state: TaskState;
  readonly attempt: number;
  readonly rc: number;
  readonly description: string;
  readonly vmId: string;
  readonly queuedAt: Date | undefined;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
}

export function progressOf(task: Task): TaskProgress {
  const { state, attempt, rc, description, vmId, queuedAt, startedAt, finishedAt } = task;
  return { state, attempt, rc, description, vmId, queuedAt, startedAt, finishedAt };
}

/** The allocator session owner of a (user, workflow name): one session each (reference §4.6). */
export function sessionOwner(userId: string, workflowName: string): string {
  return `${userId}/${workflowName}`;
}
