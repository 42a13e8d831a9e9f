import { serverStream, unaryCall } from '@lzy/grpc';
import type { scheduler } from '@lzy/proto';
import { needsToProto, taskStatusFromProto } from '@lzy/tasks';
import type { TaskStatus } from '@lzy/tasks';
import type { GraphRecord } from '../domain/graph-store-port.ts';
import type { SchedulerPort } from '../domain/scheduler-port.ts';

const CALL_DEADLINE_MS = 60_000;

/** SchedulerPort over lzy.internal.scheduler.v1.SchedulerService (client made by service.ts). */
export class SchedulerClient implements SchedulerPort {
  readonly #client: scheduler.SchedulerServiceClient;

  constructor(deps: { client: scheduler.SchedulerServiceClient }) {
    this.#client = deps.client;
  }

  async submit(graph: GraphRecord): Promise<void> {
    await unaryCall(
      this.#client.submit.bind(this.#client),
      {
        executionId: graph.executionId,
        workflowName: graph.workflowName,
        userId: graph.userId,
        graphId: graph.graphId,
        portalAddress: graph.portalAddress,
        tasks: graph.tasks.map((t) => ({
          taskId: t.id,
          task: t.taskDesc,
          dependsOn: t.producers,
          needs: needsToProto(t.needs),
          maxAttempts: t.maxAttempts,
          retryOnFailure: t.retryOnFailure,
        })),
      },
      { deadlineMs: CALL_DEADLINE_MS },
    );
  }

  async stopTasks(executionId: string, taskIds: readonly string[], reason: string): Promise<void> {
    await unaryCall(
      this.#client.stopTasks.bind(this.#client),
      { executionId, taskIds: [...taskIds], reason },
      { deadlineMs: CALL_DEADLINE_MS },
    );
  }

  async listTasks(executionId: string): Promise<TaskStatus[]> {
    const { tasks } = await unaryCall(
      this.#client.listTasks.bind(this.#client),
      { executionId },
      { deadlineMs: CALL_DEADLINE_MS },
    );
    return tasks.map(taskStatusFromProto);
  }

  async *watchTasks(
    executionId: string,
    afterVersion: number,
    signal: AbortSignal,
  ): AsyncGenerator<TaskStatus[], void, undefined> {
    for await (const message of serverStream(
      this.#client.watchTasks.bind(this.#client),
      { executionId, afterVersion },
      { signal },
    ))
      yield message.statuses.map(taskStatusFromProto);
  }
}
