import type { GraphState } from '@lzy/tasks';
import type { PlannedTask } from './graph-plan.ts';

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

export interface GraphRecord extends Omit<NewGraph, 'requestHash'> {
  state: GraphState;
  description: string;
  /** Its tasks went to the scheduler (Submit may have to be sent again after a restart). */
  submitted: boolean;
  updatedAt: Date;
}

/** What the graph runner needs from its database (db/graph-store.ts). */
export interface GraphStorePort {
  /** @throws AlreadyExists if the id is taken by other tasks (or a task id by another graph). */
  insert(graph: NewGraph): Promise<'created' | 'exists'>;
  get(executionId: string, graphId: string): Promise<GraphRecord | undefined>;
  list(executionId: string): Promise<GraphRecord[]>;
  /** Graphs WAITING or EXECUTING (resumed at start). */
  listActive(): Promise<GraphRecord[]>;
  /** Marks the graph submitted and EXECUTING. */
  markSubmitted(executionId: string, graphId: string): Promise<void>;
  /** First writer wins. @returns false if the graph had already ended. */
  finish(
    executionId: string,
    graphId: string,
    state: 'COMPLETED' | 'FAILED',
    description: string,
  ): Promise<boolean>;
}
