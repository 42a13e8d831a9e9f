import type { scheduler } from '@lzy/proto';
import type { PlannedTask } from './graph-plan.ts';

export type GraphState = 'WAITING' | 'EXECUTING' | 'COMPLETED' | 'FAILED';

export interface NewGraph {
  executionId: string;
  graphId: string;
  workflowName: string;
  userId: string;
  parentGraphId: string;
  portalAddress: string;
  /** SHA-256 of the tasks: the same graph id with other tasks is refused. */
  requestHash: string;
  tasks: PlannedTask[];
}

export interface TaskRecord extends PlannedTask {
  /** Released to the scheduler (Schedule may still have to be (re)sent after a restart). */
  scheduled: boolean;
  /** The scheduler's last word on it. */
  status: scheduler.TaskStatus | undefined;
}

export interface GraphRecord extends Omit<NewGraph, 'requestHash' | 'tasks'> {
  state: GraphState;
  description: string;
  updatedAt: Date;
  tasks: TaskRecord[];
}

/** What the graph runner needs from its database (db/graph-store.ts). */
export interface GraphStorePort {
  /** @throws AlreadyExists if the id is taken by other tasks (or a task id by another graph). */
  insert(graph: NewGraph): Promise<'created' | 'exists'>;
  get(executionId: string, graphId: string): Promise<GraphRecord | undefined>;
  list(executionId: string): Promise<GraphRecord[]>;
  /** Graphs WAITING or EXECUTING (resumed at start). */
  listActive(): Promise<GraphRecord[]>;
  /** Marks tasks released and the graph EXECUTING. */
  markScheduled(executionId: string, graphId: string, taskIds: string[]): Promise<void>;
  /** Stores a task's status unless it already ended. @returns false if it had ended. */
  saveTaskStatus(status: scheduler.TaskStatus, state: string): Promise<boolean>;
  /** First writer wins. @returns false if the graph had already ended. */
  finish(
    executionId: string,
    graphId: string,
    state: 'COMPLETED' | 'FAILED',
    description: string,
  ): Promise<boolean>;
}
