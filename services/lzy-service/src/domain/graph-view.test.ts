import { describe, expect, it } from 'vitest';
import {
  applyExecutorUpdate,
  initialView,
  SNAPSHOT_FAILED_DESCRIPTION,
  userStatusOf,
} from './graph-view.ts';
import type { ExecutorView, GraphView } from './graph-view.ts';

const executor = (
  state: 'WAITING' | 'EXECUTING' | 'COMPLETED' | 'FAILED',
  description = '',
): ExecutorView => ({ state, description, tasks: { t1: 'SUCCEEDED' } });

describe('userStatusOf', () => {
  it('is waiting before graph-executor reported anything', () => {
    expect(userStatusOf(initialView(['o']))).toEqual({ kind: 'waiting' });
  });

  it('stays executing after graph-executor completed while an output is not synced', () => {
    const view: GraphView = { executor: executor('COMPLETED'), slots: { o: 'PENDING' } };
    expect(userStatusOf(view).kind).toBe('executing');
  });

  it('is completed once graph-executor completed and every output is synced', () => {
    const view: GraphView = { executor: executor('COMPLETED'), slots: { o: 'SYNCED' } };
    expect(userStatusOf(view)).toEqual({ kind: 'completed' });
  });

  it('fails with graph-executor description', () => {
    const view: GraphView = { executor: executor('FAILED', 'rc 1'), slots: { o: 'PENDING' } };
    expect(userStatusOf(view)).toEqual({ kind: 'failed', description: 'rc 1' });
  });

  it('fails when an output could not be stored', () => {
    const view: GraphView = { executor: executor('COMPLETED'), slots: { o: 'FAILED' } };
    expect(userStatusOf(view)).toEqual({
      kind: 'failed',
      description: SNAPSHOT_FAILED_DESCRIPTION,
    });
  });

  it('lists completed and executing tasks from the full message merged with deltas', () => {
    const view = initialView(['o']);
    applyExecutorUpdate(view, {
      full: true,
      state: 'EXECUTING',
      description: '',
      tasks: [
        { taskId: 'a', state: 'EXECUTING' },
        { taskId: 'b', state: 'WAITING' },
      ],
    });
    applyExecutorUpdate(view, {
      full: false,
      state: 'EXECUTING',
      description: '',
      tasks: [{ taskId: 'a', state: 'SUCCEEDED' }],
    });
    expect(userStatusOf(view)).toMatchObject({ completed: ['a'], executing: ['b'] });
    // A re-opened stream starts with a full message again: it replaces what was known.
    applyExecutorUpdate(view, {
      full: true,
      state: 'EXECUTING',
      description: '',
      tasks: [{ taskId: 'b', state: 'EXECUTING' }],
    });
    expect(userStatusOf(view)).toMatchObject({ completed: [], executing: ['b'] });
  });
});
