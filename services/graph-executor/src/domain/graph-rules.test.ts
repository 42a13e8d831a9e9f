import { scheduler } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from './graph-store-port.ts';
import { failureDescription, readyTasks } from './graph-rules.ts';

const { TASK_STATE_SUCCEEDED, TASK_STATE_FAILED, TASK_STATE_EXECUTING, TASK_STATE_STOPPED } =
  scheduler.TaskState;

function record(id: string, producers: string[], state?: scheduler.TaskState): TaskRecord {
  return {
    id,
    operationName: `op-${id}`,
    taskDesc: { slotAssignments: [] },
    producers,
    scheduled: state !== undefined,
    status:
      state === undefined ? undefined : scheduler.TaskStatus.fromPartial({ taskId: id, state }),
  };
}

describe('readyTasks', () => {
  it('releases a task as soon as its own producers succeeded, whatever else runs', () => {
    const tasks = [
      record('a', [], TASK_STATE_SUCCEEDED),
      record('slow', [], TASK_STATE_EXECUTING),
      record('b', ['a']),
      record('c', ['a', 'slow']),
    ];
    expect(readyTasks(tasks).map((t) => t.id)).toEqual(['slow', 'b']);
  });

  it('never releases finished tasks again', () => {
    const tasks = [record('a', [], TASK_STATE_FAILED), record('b', [], TASK_STATE_SUCCEEDED)];
    expect(readyTasks(tasks)).toEqual([]);
  });
});

describe('failureDescription', () => {
  it('names the operation, the exit code and the description', () => {
    const status = scheduler.TaskStatus.fromPartial({
      state: TASK_STATE_FAILED,
      rc: 1,
      description: 'Traceback…',
    });
    expect(failureDescription(record('a', []), status)).toBe(
      'Task op-a failed: exit code 1: Traceback…',
    );
  });

  it('says a stopped task was stopped', () => {
    const status = scheduler.TaskStatus.fromPartial({ state: TASK_STATE_STOPPED });
    expect(failureDescription(record('a', []), status)).toBe('Task op-a was stopped');
  });
});
