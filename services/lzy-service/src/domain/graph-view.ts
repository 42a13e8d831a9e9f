import type { ExecutorGraphStatus, SnapshotState } from './ports.ts';

/** What lzy-service knows about one graph: graph-executor's status plus its output snapshots. */
export interface GraphView {
  /** undefined until graph-executor's first WatchGraph message. */
  executor: ExecutorGraphStatus | undefined;
  /** Portal slot name → snapshot state, one per graph output. */
  slots: Record<string, SnapshotState>;
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
  return {
    kind: 'executing',
    completed: executor.completedTaskIds,
    executing: executor.executingTaskIds,
    message: executor.state === 'COMPLETED' ? 'Saving results to storage' : 'Graph status',
  };
}

/** True when nothing about the graph can change any more. */
export function isFinal(view: GraphView): boolean {
  const status = userStatusOf(view);
  return status.kind === 'completed' || status.kind === 'failed';
}
