import { scheduler } from '@lzy/proto';
import type { TaskRecord } from './graph-store-port.ts';

const {
  TASK_STATE_SUCCEEDED: SUCCEEDED,
  TASK_STATE_FAILED: FAILED,
  TASK_STATE_STOPPED: STOPPED,
} = scheduler.TaskState;

/** A graph or task state that never changes again. */
export function isTerminal(state: string): boolean {
  return ['COMPLETED', 'FAILED', 'SUCCEEDED', 'STOPPED'].includes(state);
}

/** `TASK_STATE_SUCCEEDED` → `SUCCEEDED`; no status yet → `WAITING`. */
export function stateName(state: scheduler.TaskState | undefined): string {
  if (state === undefined) return 'WAITING';
  return scheduler.taskStateToJSON(state).replace(/^TASK_STATE_/, '');
}

/** Unfinished tasks whose producers all succeeded: what may run now. */
export function readyTasks(tasks: readonly TaskRecord[]): TaskRecord[] {
  const succeeded = new Set(tasks.filter((t) => t.status?.state === SUCCEEDED).map((t) => t.id));
  return tasks.filter(
    (t) =>
      t.status?.state !== SUCCEEDED &&
      t.status?.state !== FAILED &&
      t.status?.state !== STOPPED &&
      t.producers.every((p) => succeeded.has(p)),
  );
}

/** The graph's description when `task` ended badly: "Task <name> failed: <rc; description>". */
export function failureDescription(task: TaskRecord, status: scheduler.TaskStatus): string {
  const name = task.operationName === '' ? task.id : task.operationName;
  const details = [
    ...(status.rc === 0 ? [] : [`exit code ${status.rc}`]),
    ...(status.description === '' ? [] : [status.description]),
  ].join(': ');
  const verb = status.state === STOPPED ? 'was stopped' : 'failed';
  return `Task ${name} ${verb}${details === '' ? '' : `: ${details}`}`;
}
