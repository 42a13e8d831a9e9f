import { describe, expect, it } from 'vitest';
import { scheduler } from '@lzy/proto';
import {
  TASK_STATES,
  canMoveTask,
  isTerminalTaskState,
  taskFailureDescription,
  taskStateFromProto,
  taskStateToProto,
} from './index.ts';

describe('task states', () => {
  it('translate to the proto enum and back, each to its own value', () => {
    const values = TASK_STATES.map(taskStateToProto);
    expect(new Set(values).size).toBe(TASK_STATES.length);
    for (const state of TASK_STATES)
      expect(taskStateFromProto(taskStateToProto(state))).toBe(state);
    expect(taskStateFromProto(scheduler.TaskState.TASK_STATE_ALLOCATING)).toBe('QUEUED');
    expect(() => taskStateFromProto(scheduler.TaskState.TASK_STATE_UNSPECIFIED)).toThrow(
      /unknown task state/,
    );
  });

  it('end in SUCCEEDED, FAILED or STOPPED, and only a running task goes back to QUEUED', () => {
    expect(TASK_STATES.filter(isTerminalTaskState)).toEqual(['SUCCEEDED', 'FAILED', 'STOPPED']);
    expect(canMoveTask('EXECUTING', 'QUEUED')).toBe(true);
    expect(canMoveTask('WAITING', 'EXECUTING')).toBe(false);
    for (const from of ['SUCCEEDED', 'FAILED', 'STOPPED'] as const)
      for (const to of TASK_STATES) expect(canMoveTask(from, to)).toBe(false);
  });

  it('describe a failed task by its op name, exit code and reason', () => {
    const task = { taskId: 't1', operationName: 'square', rc: 1, description: 'boom' };
    expect(taskFailureDescription({ ...task, state: 'FAILED' })).toBe(
      'Task square failed: exit code 1: boom',
    );
    expect(taskFailureDescription({ ...task, operationName: '', rc: 0, state: 'STOPPED' })).toBe(
      'Task t1 was stopped: boom',
    );
  });
});
