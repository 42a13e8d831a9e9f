import { createHash } from 'node:crypto';
import { InvalidArgument } from '@lzy/errors';
import { implement, requireInternalCaller } from '@lzy/grpc';
import type { CallContext, ServiceRegistration } from '@lzy/grpc';
import { commonOperation, scheduler } from '@lzy/proto';
import type { NewTask, TaskStore } from '../db/task-store.ts';
import type { Task, TaskState } from '../domain/task.ts';
import type { TaskEvents } from '../domain/task-events.ts';
import type { TaskRunner } from '../domain/task-runner.ts';
import { watchTasks } from '../domain/task-watch.ts';
import type { Readiness } from './readiness.ts';

export interface SchedulerServiceDeps {
  runner: TaskRunner;
  readiness: Readiness;
  store: TaskStore;
  events: TaskEvents;
}

const STATE_TO_PROTO: Readonly<Record<TaskState, scheduler.TaskState>> = {
  QUEUED: scheduler.TaskState.TASK_STATE_QUEUED,
  ALLOCATING: scheduler.TaskState.TASK_STATE_ALLOCATING,
  EXECUTING: scheduler.TaskState.TASK_STATE_EXECUTING,
  SUCCEEDED: scheduler.TaskState.TASK_STATE_SUCCEEDED,
  FAILED: scheduler.TaskState.TASK_STATE_FAILED,
  STOPPED: scheduler.TaskState.TASK_STATE_STOPPED,
};

export function toTaskStatus(task: Task): scheduler.TaskStatus {
  return {
    executionId: task.executionId,
    taskId: task.taskId,
    operationName: task.operationName,
    state: STATE_TO_PROTO[task.state],
    rc: task.rc,
    description: task.description,
    vmId: task.vmId ?? '',
    updatedAt: task.updatedAt,
  };
}

function required(value: string, field: string): string {
  if (value === '') throw new InvalidArgument(`${field} is required`);
  return value;
}

/** Schedule request → the task to persist; the hash tells a retry from a conflicting reuse. */
export function toNewTask(request: scheduler.ScheduleRequest): NewTask {
  const operation = request.task?.operation;
  if (request.task === undefined || operation === undefined) {
    throw new InvalidArgument('task.operation is required');
  }
  const taskDesc = commonOperation.TaskDesc.encode(request.task).finish();
  const requestHash = createHash('sha256')
    .update(
      JSON.stringify([
        request.executionId,
        request.workflowName,
        request.userId,
        request.portalAddress,
      ]),
    )
    .update(taskDesc)
    .digest('hex');
  return {
    taskId: required(request.taskId, 'task_id'),
    executionId: required(request.executionId, 'execution_id'),
    workflowName: required(request.workflowName, 'workflow_name'),
    userId: required(request.userId, 'user_id'),
    operationName: operation.name,
    // Not checked here: the allocator answers an unknown or missing pool and the task fails with it.
    poolLabel: operation.requirements?.poolLabel ?? '',
    zone: operation.requirements?.zone ?? '',
    taskDesc,
    portalAddress: request.portalAddress,
    requestHash,
  };
}

/** lzy.internal.scheduler.v1.SchedulerService; internal callers only. */
export function schedulerService(deps: SchedulerServiceDeps): ServiceRegistration {
  const { runner, readiness } = deps;
  const guard = (ctx: CallContext) => {
    requireInternalCaller(ctx);
    readiness.check();
  };
  return implement(scheduler.SchedulerServiceService, {
    schedule: async (request, ctx) => {
      guard(ctx);
      const task = await runner.schedule(toNewTask(request));
      return { status: toTaskStatus(task) };
    },
    getTask: async (request, ctx) => {
      guard(ctx);
      const task = await runner.get(request.executionId, request.taskId);
      return { status: toTaskStatus(task) };
    },
    listTasks: async (request, ctx) => {
      guard(ctx);
      const tasks = await runner.list(required(request.executionId, 'execution_id'));
      return { tasks: tasks.map(toTaskStatus) };
    },
    stopTask: async (request, ctx) => {
      guard(ctx);
      const task = await runner.stop(request.executionId, request.taskId, request.reason);
      return { status: toTaskStatus(task) };
    },
    watchTasks: async (request, ctx, send) => {
      guard(ctx);
      const executionId = required(request.executionId, 'execution_id');
      for await (const task of watchTasks(deps, executionId, request.taskIds, ctx.signal)) {
        await send({ status: toTaskStatus(task) });
      }
    },
  });
}
