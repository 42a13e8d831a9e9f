import { serverStream, unaryCall } from '@lzy/grpc';
import { graphExecutor, scheduler } from '@lzy/proto';
import type {
  ExecutorGraphStatus,
  GraphState,
  GraphsPort,
  SubmittedTask,
} from '../domain/ports.ts';

const STATES: Record<number, GraphState> = {
  [graphExecutor.GraphState.GRAPH_STATE_WAITING]: 'WAITING',
  [graphExecutor.GraphState.GRAPH_STATE_EXECUTING]: 'EXECUTING',
  [graphExecutor.GraphState.GRAPH_STATE_COMPLETED]: 'COMPLETED',
  [graphExecutor.GraphState.GRAPH_STATE_FAILED]: 'FAILED',
};

const TERMINAL_TASK_STATES: readonly number[] = [
  scheduler.TaskState.TASK_STATE_SUCCEEDED,
  scheduler.TaskState.TASK_STATE_FAILED,
  scheduler.TaskState.TASK_STATE_STOPPED,
];

/** graph-executor's GraphStatus in domain terms; tasks split into completed and executing. */
export function toExecutorStatus(status: graphExecutor.GraphStatus): ExecutorGraphStatus {
  const completed = status.tasks.filter((t) => TERMINAL_TASK_STATES.includes(t.state));
  const executing = status.tasks.filter((t) => !TERMINAL_TASK_STATES.includes(t.state));
  return {
    state: STATES[status.state] ?? 'WAITING',
    description: status.description,
    completedTaskIds: completed.map((t) => t.taskId),
    executingTaskIds: executing.map((t) => t.taskId),
  };
}

/** GraphsPort over lzy.internal.graph_executor.v1. */
export class GraphExecutorClient implements GraphsPort {
  readonly #client: graphExecutor.GraphExecutorServiceClient;

  constructor(deps: { client: graphExecutor.GraphExecutorServiceClient }) {
    this.#client = deps.client;
  }

  async execute(request: {
    executionId: string;
    workflowName: string;
    userId: string;
    graphId: string;
    parentGraphId: string;
    tasks: SubmittedTask[];
    portalAddress: string;
  }): Promise<void> {
    const c = this.#client;
    await unaryCall(c.executeGraph.bind(c), {
      executionId: request.executionId,
      workflowName: request.workflowName,
      userId: request.userId,
      graphId: request.graphId,
      parentGraphId: request.parentGraphId,
      tasks: request.tasks.map((task) => ({ id: task.id, taskDesc: task.desc })),
      portalAddress: request.portalAddress,
    });
  }

  async stop(executionId: string, graphId: string, reason: string): Promise<void> {
    const c = this.#client;
    await unaryCall(c.stopGraph.bind(c), { executionId, graphId, reason });
  }

  async *watch(
    executionId: string,
    graphId: string,
    signal: AbortSignal,
  ): AsyncGenerator<ExecutorGraphStatus, void, undefined> {
    const c = this.#client;
    const stream = serverStream(c.watchGraph.bind(c), { executionId, graphId }, { signal });
    for await (const message of stream) {
      if (message.status !== undefined) yield toExecutorStatus(message.status);
    }
  }
}
