/**
 * The states of a task, as the scheduler runs it and graph-executor, lzy-service and the site
 * show it (scheduler.proto TaskState; the proto enum is translated only at the edge,
 * task-state-proto.ts):
 *
 *   WAITING ──(every task it depends on SUCCEEDED)──► QUEUED ──(room on a VM)──► EXECUTING
 *   EXECUTING ──► SUCCEEDED | FAILED | STOPPED;  EXECUTING ──(VM lost, attempts left)──► QUEUED
 *   WAITING | QUEUED ──(StopTasks)──► STOPPED
 */
export const TASK_STATES = [
  'WAITING',
  'QUEUED',
  'EXECUTING',
  'SUCCEEDED',
  'FAILED',
  'STOPPED',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['SUCCEEDED', 'FAILED', 'STOPPED'];

/** A state that never changes again. */
export function isTerminalTaskState(state: TaskState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'STOPPED';
}

/** The moves a task may make (a retry goes back from EXECUTING to QUEUED). */
const NEXT: Readonly<Record<TaskState, readonly TaskState[]>> = {
  WAITING: ['QUEUED', 'STOPPED', 'FAILED'],
  QUEUED: ['EXECUTING', 'STOPPED', 'FAILED'],
  EXECUTING: ['SUCCEEDED', 'FAILED', 'STOPPED', 'QUEUED'],
  SUCCEEDED: [],
  FAILED: [],
  STOPPED: [],
};

export function canMoveTask(from: TaskState, to: TaskState): boolean {
  return NEXT[from].includes(to);
}

/** LZY's exit code when an op's environment could not be installed (Java's rc 97). */
export const RC_ENVIRONMENT_ERROR = 97;
/** LZY's exit code for failures of LZY itself (allocation, a lost VM), not of the op. */
export const RC_INTERNAL_ERROR = 98;

/** Runs of a task whose VM is lost, unless its op says otherwise (issue 12). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** What a task takes of its VM while it runs; undefined needs = the whole VM of its pool. */
export interface TaskNeeds {
  readonly cpu: number;
  readonly gpu: number;
  readonly ramGb: number;
}

/** One task's status as it travels between services (scheduler → graph-executor → lzy-service). */
export interface TaskStatus {
  readonly executionId: string;
  readonly graphId: string;
  readonly taskId: string;
  readonly operationName: string;
  readonly poolLabel: string;
  readonly state: TaskState;
  /** The op's exit code once ended, or RC_ENVIRONMENT_ERROR / RC_INTERNAL_ERROR. */
  readonly rc: number;
  /** Why it failed, stopped or runs again; '' otherwise. */
  readonly description: string;
  /** The VM of the current attempt, '' before it runs. */
  readonly vmId: string;
  readonly attempt: number;
  /** Orders the changes of one execution. */
  readonly version: number;
  readonly queuedAt: Date | undefined;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  readonly updatedAt: Date;
}

/** Graph states (graph_executor.proto GraphState). */
export const GRAPH_STATES = ['WAITING', 'EXECUTING', 'COMPLETED', 'FAILED'] as const;
export type GraphState = (typeof GRAPH_STATES)[number];

export function isTerminalGraphState(state: GraphState): boolean {
  return state === 'COMPLETED' || state === 'FAILED';
}

/** The graph's description when `task` ended badly: "Task <name> failed: <rc>: <description>". */
export function taskFailureDescription(
  task: Pick<TaskStatus, 'taskId' | 'operationName' | 'state' | 'rc' | 'description'>,
): string {
  const name = task.operationName === '' ? task.taskId : task.operationName;
  const details = [
    ...(task.rc === 0 ? [] : [`exit code ${task.rc}`]),
    ...(task.description === '' ? [] : [task.description]),
  ].join(': ');
  const verb = task.state === 'STOPPED' ? 'was stopped' : 'failed';
  return `Task ${name} ${verb}${details === '' ? '' : `: ${details}`}`;
}
