import { describe, expect, it } from 'vitest';
import type { lzyWorkflowService } from '@lzy/proto';
import { graphStatusName, isTerminalGraphStatus, renderGraphStatus } from './graph-status.ts';

type Response = lzyWorkflowService.GraphStatusResponse;

const waiting: Response = { status: { $case: 'waiting', value: {} } };
const executing: Response = {
  status: {
    $case: 'executing',
    value: {
      operationsCompleted: ['t1', 't2'],
      operationsExecuting: ['t3'],
      operationsWaiting: [],
      message: '',
    },
  },
};
const completed: Response = { status: { $case: 'completed', value: {} } };
const failed: Response = {
  status: { $case: 'failed', value: { description: 'op double failed\nexit code 2\n' } },
};

describe('renderGraphStatus', () => {
  it('renders waiting and completed as one line', () => {
    expect(renderGraphStatus('g1', waiting)).toBe('graph g1: waiting\n');
    expect(renderGraphStatus('g1', completed)).toBe('graph g1: completed\n');
  });

  it('lists completed and executing task ids while executing', () => {
    expect(renderGraphStatus('g1', executing)).toBe(
      'graph g1: executing\n  completed: t1, t2\n  executing: t3\n',
    );
  });

  it('shows the message of executing when there is one, and dashes for no tasks', () => {
    const withMessage: Response = {
      status: {
        $case: 'executing',
        value: {
          operationsCompleted: [],
          operationsExecuting: [],
          operationsWaiting: [],
          message: 'allocating',
        },
      },
    };
    expect(renderGraphStatus('g1', withMessage)).toBe(
      'graph g1: executing\n  completed: -\n  executing: -\n  message: allocating\n',
    );
  });

  it('treats an unset status as executing, as pylzy does', () => {
    expect(renderGraphStatus('g1', {})).toBe(
      'graph g1: executing\n  completed: -\n  executing: -\n',
    );
  });

  it('indents the description of a failure', () => {
    expect(renderGraphStatus('g1', failed)).toBe(
      'graph g1: failed\n  op double failed\n  exit code 2\n',
    );
  });
});

describe('graph status names', () => {
  it('calls only completed and failed terminal', () => {
    expect([waiting, executing, completed, failed, {}].map(graphStatusName)).toEqual([
      'waiting',
      'executing',
      'completed',
      'failed',
      'executing',
    ]);
    expect([waiting, executing, completed, failed].map(isTerminalGraphStatus)).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});
