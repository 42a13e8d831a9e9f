import { serverStream, unaryCall } from '@lzy/grpc';
import type { scheduler } from '@lzy/proto';
import type { SchedulerPort, TaskToSchedule } from '../domain/scheduler-port.ts';

const CALL_DEADLINE_MS = 30_000;

/** SchedulerPort over lzy.internal.scheduler.v1.SchedulerService (client made by service.ts). */
export class SchedulerClient implements SchedulerPort {
  readonly #client: scheduler.SchedulerServiceClient;

  constructor(deps: { client: scheduler.SchedulerServiceClient }) {
    this.#client = deps.client;
  }

  async schedule(task: TaskToSchedule): Promise<scheduler.TaskStatus | undefined> {
    const response = await unaryCall(
      this.#client.schedule.bind(this.#client),
      {
        taskId: task.taskId,
        executionId: task.executionId,
        workflowName: task.workflowName,
        userId: task.userId,
        task: task.taskDesc,
        portalAddress: task.portalAddress,
      },
      { deadlineMs: CALL_DEADLINE_MS },
    );
    return response.status;
  }

  async stopTask(executionId: string, taskId: string, reason: string): Promise<void> {
    await unaryCall(
      this.#client.stopTask.bind(this.#client),
      { executionId, taskId, reason },
      { deadlineMs: CALL_DEADLINE_MS },
    );
  }

  async *watchTasks(
    executionId: string,
    signal: AbortSignal,
  ): AsyncGenerator<scheduler.TaskStatus, void, undefined> {
    for await (const message of serverStream(
      this.#client.watchTasks.bind(this.#client),
      { executionId, taskIds: [] },
      { signal },
    ))
      if (message.status !== undefined) yield message.status;
  }
}
