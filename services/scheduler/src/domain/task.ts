/** Task states as in scheduler.proto `TaskState` (reference-lzy-internals §4). */
export const TASK_STATES = [
  'QUEUED',
  'ALLOCATING',
  'EXECUTING',
  'SUCCEEDED',
  'FAILED',
  'STOPPED',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** LZY's exit code for failures of LZY itself (allocation, lost VM), not of the user's command. */
export const RC_INTERNAL_ERROR = 98;

/** One task as the scheduler keeps it. */
export interface Task {
  readonly taskId: string;
  readonly executionId: string;
  readonly workflowName: string;
  readonly userId: string;
  readonly operationName: string;
  readonly poolLabel: string;
  readonly zone: string;
  /** Encoded ai.lzy.v1.common.TaskDesc, passed to the worker as is. */
  readonly taskDesc: Uint8Array;
  readonly portalAddress: string;
  /** Identifies the Schedule request, to tell a retry from a conflicting reuse of the id. */
  readonly requestHash: string;
  readonly state: TaskState;
  readonly rc: number;
  readonly description: string;
  readonly allocateOperationId: string | undefined;
  readonly vmId: string | undefined;
  /** host:port of the worker on the allocated VM. */
  readonly vmAddress: string | undefined;
  /** True once the VM is freed, or when the task never had one: the task no longer holds a VM. */
  readonly vmReleased: boolean;
  /** Incremented by every change; orders the events of one task. */
  readonly version: number;
  readonly updatedAt: Date;
}

export function isTerminal(state: TaskState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'STOPPED';
}

/** The allocator session owner of a (user, workflow name): one session each (reference §4.6). */
export function sessionOwner(userId: string, workflowName: string): string {
  return `${userId}/${workflowName}`;
}
