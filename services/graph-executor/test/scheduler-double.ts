import { implement, startGrpcServer } from '@lzy/grpc';
import type { Authenticator, GrpcServer } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { scheduler } from '@lzy/proto';

type Listener = (status: scheduler.TaskStatus) => void;

/**
 * The scheduler played over real gRPC: records Schedule/StopTask calls, keeps each task's
 * status, and pushes statuses the test sets on WatchTasks (current ones first, as the real one).
 */
export class SchedulerDouble {
  readonly scheduled: string[] = [];
  readonly stopped: string[] = [];
  readonly requests: scheduler.ScheduleRequest[] = [];
  /** The `authorization` header of every call. */
  readonly authorizations = new Set<string>();
  readonly #tasks = new Map<string, scheduler.TaskStatus>();
  readonly #listeners = new Set<{ executionId: string; listener: Listener }>();
  #server: GrpcServer | undefined;

  get port(): number {
    return this.#server!.port;
  }

  async start(): Promise<void> {
    const anyone: Authenticator = {
      authenticate: (authorization) => {
        this.authorizations.add(authorization);
        return Promise.resolve({ id: 'lzy-internal', type: 'USER' });
      },
    };
    this.#server = await startGrpcServer({
      name: 'scheduler-double',
      port: 0,
      log: createLogger({ service: 'scheduler-double', level: 'silent' }),
      authenticator: anyone,
      shutdownGraceMs: 100,
      services: [
        implement(scheduler.SchedulerServiceService, {
          schedule: (request) => {
            this.requests.push(request);
            this.scheduled.push(request.taskId);
            let status = this.#tasks.get(request.taskId);
            if (status === undefined) {
              status = this.#set(request.executionId, request.taskId, {
                operationName: request.task?.operation?.name ?? '',
                state: scheduler.TaskState.TASK_STATE_QUEUED,
              });
            }
            return Promise.resolve({ status });
          },
          stopTask: (request) => {
            this.stopped.push(request.taskId);
            const status = this.#tasks.get(request.taskId);
            const terminal = [4, 5, 6] as number[];
            if (status !== undefined && !terminal.includes(status.state))
              this.push(request.executionId, request.taskId, 'STOPPED', {
                description: request.reason,
              });
            return Promise.resolve({ status: this.#tasks.get(request.taskId) });
          },
          getTask: 'unimplemented',
          listTasks: 'unimplemented',
          watchTasks: async (request, ctx, send) => {
            const queue: scheduler.TaskStatus[] = [];
            let wake: (() => void) | undefined;
            const entry = {
              executionId: request.executionId,
              listener: (status: scheduler.TaskStatus) => {
                queue.push(status);
                wake?.();
              },
            };
            this.#listeners.add(entry);
            const onAbort = () => wake?.();
            ctx.signal.addEventListener('abort', onAbort);
            try {
              for (const status of this.#tasks.values())
                if (status.executionId === request.executionId) queue.push(status);
              while (!ctx.signal.aborted) {
                const next = queue.shift();
                if (next !== undefined) await send({ status: next });
                else await new Promise<void>((resolve) => (wake = resolve));
              }
            } finally {
              this.#listeners.delete(entry);
              ctx.signal.removeEventListener('abort', onAbort);
            }
          },
        }),
      ],
    });
  }

  /** Sets a task's state and pushes it to the watchers. */
  push(
    executionId: string,
    taskId: string,
    state: 'EXECUTING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED',
    extra: { rc?: number; description?: string } = {},
  ): void {
    const status = this.#set(executionId, taskId, {
      operationName: this.#tasks.get(taskId)?.operationName ?? '',
      state: scheduler.TaskState[`TASK_STATE_${state}`],
      ...extra,
    });
    for (const { executionId: e, listener } of this.#listeners)
      if (e === executionId) listener(status);
  }

  #set(executionId: string, taskId: string, fields: Partial<scheduler.TaskStatus>) {
    const status = scheduler.TaskStatus.fromPartial({
      executionId,
      taskId,
      ...fields,
      updatedAt: new Date(),
    });
    this.#tasks.set(taskId, status);
    return status;
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
