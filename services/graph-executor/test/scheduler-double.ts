import { implement, startGrpcServer } from '@lzy/grpc';
import type { Authenticator, GrpcServer } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { scheduler } from '@lzy/proto';

type Listener = (statuses: scheduler.TaskStatus[]) => void;

/**
 * The scheduler played over real gRPC: records Submit/StopTasks calls, keeps each task's
 * status with a version, and pushes the statuses the test sets on WatchTasks (those after the
 * requested version first, as the real one).
 */
export class SchedulerDouble {
  readonly submits: scheduler.SubmitRequest[] = [];
  readonly stopped: string[] = [];
  /** The `authorization` header of every call. */
  readonly authorizations = new Set<string>();
  readonly #tasks = new Map<string, scheduler.TaskStatus>();
  readonly #listeners = new Set<{ executionId: string; listener: Listener }>();
  #server: GrpcServer | undefined;
  #version = 0;

  get port(): number {
    return this.#server!.port;
  }

  /** The task ids submitted for `executionId`, with the tasks each depends on. */
  submitted(executionId: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const s of this.submits)
      if (s.executionId === executionId)
        for (const t of s.tasks) out.set(t.taskId, [...t.dependsOn].sort());
    return out;
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
          submit: (request) => {
            this.submits.push(request);
            for (const t of request.tasks)
              if (!this.#tasks.has(t.taskId))
                this.push(request.executionId, t.taskId, 'QUEUED', {
                  graphId: request.graphId,
                  operationName: t.task?.operation?.name ?? '',
                });
            return Promise.resolve({});
          },
          stopTasks: (request) => {
            for (const taskId of request.taskIds) {
              this.stopped.push(taskId);
              const status = this.#tasks.get(taskId);
              const terminal = [4, 5, 6] as number[];
              if (status !== undefined && !terminal.includes(status.state))
                this.push(request.executionId, taskId, 'STOPPED', { description: request.reason });
            }
            return Promise.resolve({});
          },
          getTask: 'unimplemented',
          listTasks: (request) =>
            Promise.resolve({
              tasks: [...this.#tasks.values()].filter((t) => t.executionId === request.executionId),
            }),
          watchTasks: async (request, ctx, send) => {
            const queue: scheduler.TaskStatus[][] = [];
            let wake: (() => void) | undefined;
            const entry = {
              executionId: request.executionId,
              listener: (statuses: scheduler.TaskStatus[]) => {
                queue.push(statuses);
                wake?.();
              },
            };
            this.#listeners.add(entry);
            const onAbort = () => wake?.();
            ctx.signal.addEventListener('abort', onAbort);
            try {
              const first = [...this.#tasks.values()].filter(
                (s) => s.executionId === request.executionId && s.version > request.afterVersion,
              );
              if (first.length > 0) queue.push(first);
              while (!ctx.signal.aborted) {
                const next = queue.shift();
                if (next !== undefined) await send({ statuses: next });
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

  /** Sets a task's state (a new version) and pushes it to the watchers. */
  push(
    executionId: string,
    taskId: string,
    state: 'QUEUED' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED',
    extra: Partial<scheduler.TaskStatus> = {},
  ): void {
    const previous = this.#tasks.get(taskId);
    const status = scheduler.TaskStatus.fromPartial({
      graphId: previous?.graphId ?? '',
      operationName: previous?.operationName ?? '',
      ...extra,
      executionId,
      taskId,
      state: scheduler.TaskState[`TASK_STATE_${state}`],
      version: ++this.#version,
      updatedAt: new Date(),
    });
    this.#tasks.set(taskId, status);
    for (const { executionId: e, listener } of this.#listeners)
      if (e === executionId) listener([status]);
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
