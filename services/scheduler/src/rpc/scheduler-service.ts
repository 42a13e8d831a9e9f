import { createHash } from 'node:crypto';
import { InvalidArgument } from '@lzy/errors';
import { implement, requireServiceCaller } from '@lzy/grpc';
import type { CallContext, ServiceRegistration } from '@lzy/grpc';
import { commonOperation, scheduler } from '@lzy/proto';
import { DEFAULT_MAX_ATTEMPTS, needsFromProto, taskStatusToProto } from '@lzy/tasks';
import type { TaskStore } from '../db/task-store.ts';
import type { SchedulerCore, SubmittedTask } from '../domain/scheduler.ts';
import type { TaskEvents } from '../domain/task-events.ts';
import { watchTasks } from '../domain/task-watch.ts';
import type { Readiness } from './readiness.ts';

export interface SchedulerServiceDeps {
  core: SchedulerCore;
  readiness: Readiness;
  store: TaskStore;
  events: TaskEvents;
}

/** Tasks per Submit: a graph larger than this is refused (bounded memory per request). */
const MAX_TASKS_PER_SUBMIT = 100_000;

function required(value: string, field: string): string {
  if (value === '') throw new InvalidArgument(`${field} is required`);
  return value;
}

/** Submit request → the tasks to store; the hash tells a repeat from a conflicting reuse. */
export function toSubmittedTasks(request: scheduler.SubmitRequest): SubmittedTask[] {
  const executionId = required(request.executionId, 'execution_id');
  const graphId = required(request.graphId, 'graph_id');
  const workflowName = required(request.workflowName, 'workflow_name');
  const userId = required(request.userId, 'user_id');
  if (request.tasks.length === 0) throw new InvalidArgument('tasks must not be empty');
  if (request.tasks.length > MAX_TASKS_PER_SUBMIT)
    throw new InvalidArgument(`at most ${MAX_TASKS_PER_SUBMIT} tasks per Submit`);
  const ids = new Set<string>();
  return request.tasks.map((t) => {
    const taskId = required(t.taskId, 'tasks[].task_id');
    if (ids.has(taskId)) throw new InvalidArgument(`task id ${taskId} appears twice`);
    ids.add(taskId);
    const operation = t.task?.operation;
    if (t.task === undefined || operation === undefined)
      throw new InvalidArgument(`task ${taskId}: task.operation is required`);
    if (t.dependsOn.includes(taskId)) throw new InvalidArgument(`task ${taskId} depends on itself`);
    const taskDesc = commonOperation.TaskDesc.encode(t.task).finish();
    const needs = needsFromProto(t.needs);
    const maxAttempts = t.maxAttempts === 0 ? DEFAULT_MAX_ATTEMPTS : t.maxAttempts;
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          executionId,
          graphId,
          workflowName,
          userId,
          request.portalAddress,
          t.dependsOn,
          needs ?? null,
          maxAttempts,
          t.retryOnFailure,
        ]),
      )
      .update(taskDesc)
      .digest('hex');
    return {
      taskId,
      executionId,
      graphId,
      workflowName,
      userId,
      operationName: operation.name,
      poolLabel: required(operation.requirements?.poolLabel ?? '', `task ${taskId}: pool label`),
      zone: operation.requirements?.zone ?? '',
      taskDesc,
      portalAddress: request.portalAddress,
      requestHash,
      dependsOn: [...new Set(t.dependsOn)],
      needs,
      maxAttempts,
      retryOnFailure: t.retryOnFailure,
    };
  });
}

/** lzy.internal.scheduler.v1.SchedulerService; internal callers only. */
export function schedulerService(deps: SchedulerServiceDeps): ServiceRegistration {
  const { core, readiness } = deps;
  const guard = (ctx: CallContext) => {
    requireServiceCaller(ctx);
    readiness.check();
  };
  return implement(scheduler.SchedulerServiceService, {
    submit: async (request, ctx) => {
      guard(ctx);
      await core.submit(toSubmittedTasks(request));
      return {};
    },
    getTask: async (request, ctx) => {
      guard(ctx);
      const task = await core.get(request.executionId, request.taskId);
      return { status: taskStatusToProto(task) };
    },
    listTasks: async (request, ctx) => {
      guard(ctx);
      const tasks = await core.list(required(request.executionId, 'execution_id'));
      return { tasks: tasks.map(taskStatusToProto) };
    },
    stopTasks: async (request, ctx) => {
      guard(ctx);
      await core.stop(
        required(request.executionId, 'execution_id'),
        request.taskIds,
        request.reason,
      );
      return {};
    },
    watchTasks: async (request, ctx, send) => {
      guard(ctx);
      const executionId = required(request.executionId, 'execution_id');
      const after = Number(request.afterVersion);
      for await (const batch of watchTasks(deps, executionId, after, ctx.signal))
        await send({ statuses: batch.map(taskStatusToProto) });
    },
  });
}
