import { isTerminalTaskState } from '@lzy/tasks';
import type { GraphState, TaskState } from '@lzy/tasks';
import type { ExecutorGraphUpdate, SnapshotState } from './ports.ts';

/** graph-executor's view of one graph, merged from WatchGraph's full message and deltas. */
export interface ExecutorView {
  state: GraphState;
  description: string;
  /** Task id → its latest state. */
  tasks: Record<string, TaskState>;
}

/** What lzy-service knows about one graph: graph-executor's status plus its output snapshots. */
export interface GraphView {
  /** undefined until graph-executor's first WatchGraph message. */
  executor: ExecutorView | undefined;
  /** Portal slot name → snapshot state, one per graph output. */
  slots: Record<string, SnapshotState>;
  /** Set when the graph failed for a reason outside it (its execution's portal died). */
  failure?: string;
}

/** Merges one WatchGraph message into the view (a full one replaces the task list). */
export function applyExecutorUpdate(view: GraphView, update: ExecutorGraphUpdate): void {
  const tasks = update.full || view.executor === undefined ? {} : view.executor.tasks;
  for (const task of update.tasks) tasks[task.taskId] = task.state;
  view.executor = { state: update.state, description: update.description, tasks };
}

/** The user-visible status (public-api §3.5 GraphStatusResponse, §6.2). */
export type UserGraphStatus =
  | { kind: 'waiting' }
  | { kind: 'executing'; completed: string[]; executing: string[]; message: string }
  | { kind: 'completed' }
  | { kind: 'failed'; description: string };

export const SNAPSHOT_FAILED_DESCRIPTION = 'Error while loading data to external storage';

export function initialView(outputSlots: readonly string[]): GraphView {
  return {
    executor: undefined,
    slots: Object.fromEntries(
      outputSlots.map((name): [string, SnapshotState] => [name, 'PENDING']),
    ),
  };
}

/**
 * Maps a view to the status pylzy sees (reference-lzy-internals §11.5): completed only once
 * graph-executor completed AND every output is SYNCED in storage; a failed snapshot fails it.
 */
export function userStatusOf(view: GraphView): UserGraphStatus {
  if (view.failure !== undefined) return { kind: 'failed', description: view.failure };
  const executor = view.executor;
  if (executor === undefined || executor.state === 'WAITING') return { kind: 'waiting' };
  if (executor.state === 'FAILED') return { kind: 'failed', description: executor.description };
  const states = Object.values(view.slots);
  if (states.includes('FAILED')) {
    return { kind: 'failed', description: SNAPSHOT_FAILED_DESCRIPTION };
  }
  if (executor.state === 'COMPLETED' && states.every((state) => state === 'SYNCED')) {
    return { kind: 'completed' };
  }
  const completed: string[] = [];
  const executing: string[] = [];
  for (const [taskId, state] of Object.entries(executor.tasks))
    (isTerminalTaskState(state) ? completed : executing).push(taskId);
  return {
    kind: 'executing',
    completed,
    executing,
    message: executor.state === 'COMPLETED' ? 'Saving results to storage' : 'Graph status',
  };
}

/** True when nothing about the graph can change any more. */
export function isFinal(view: GraphView): boolean {
  const status = userStatusOf(view);
  return status.kind === 'completed' || status.kind === 'failed';
}
