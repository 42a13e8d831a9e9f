import { serverStream, unaryCall } from '@lzy/grpc';
import type { graphExecutor } from '@lzy/proto';
import { graphStateFromProto, needsToProto, taskStateFromProto } from '@lzy/tasks';
import type { ExecutorGraphUpdate, GraphsPort, SubmittedTask } from '../domain/ports.ts';

/** A WatchGraph message in domain terms (the first one of a stream holds every task). */
export function toExecutorUpdate(
  status: graphExecutor.GraphStatus,
  full: boolean,
): ExecutorGraphUpdate {
  return {
    full,
    state: graphStateFromProto(status.state),
    description: status.description,
    tasks: status.tasks.map((t) => ({ taskId: t.taskId, state: taskStateFromProto(t.state) })),
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
      tasks: request.tasks.map((task) => ({
        id: task.id,
        taskDesc: task.desc,
        needs: needsToProto(task.needs),
        maxAttempts: task.maxAttempts ?? 0,
        retryOnFailure: task.retryOnFailure ?? false,
      })),
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
  ): AsyncGenerator<ExecutorGraphUpdate, void, undefined> {
    const c = this.#client;
    const stream = serverStream(c.watchGraph.bind(c), { executionId, graphId }, { signal });
    let full = true;
    for await (const message of stream) {
      if (message.status === undefined) continue;
      yield toExecutorUpdate(message.status, full);
      full = false;
    }
  }
}
