import { WorkSpan } from '@lzy/grpc';
import type { TraceContextFields } from '@lzy/grpc';
import type { LiveTask } from './live-task.ts';
import type { TaskProgress } from './task.ts';

/** The phase a task's progress is in, as a span name; undefined once it ended. */
function phaseOf(progress: TaskProgress): string | undefined {
  switch (progress.state) {
    case 'WAITING':
      return 'scheduler.waiting';
    case 'QUEUED':
      return 'scheduler.queued';
    case 'EXECUTING':
      // Sent to its worker; `started` comes once inputs are in and the command runs.
      return progress.startedAt === undefined ? 'scheduler.dispatched' : 'scheduler.running';
    case 'SUCCEEDED':
    case 'FAILED':
    case 'STOPPED':
      return undefined;
  }
}

/**
 * One span per task the dispatcher holds (`scheduler.task`, child of the Submit that brought it),
 * with its phases waiting → queued → dispatched → running as children, ended with the task. The
 * worker gets the task span's trace context with the run (worker.proto Run.trace_context).
 */
export class TaskSpans {
  readonly #spans = new Map<string, WorkSpan>();

  /** Starts the task's span in the active context (the Submit call; none after a restart). */
  begin(live: LiveTask): void {
    const { taskId, executionId, graphId, operationName } = live.task;
    if (this.#spans.has(taskId)) return;
    const span = new WorkSpan('scheduler.task', {
      service: 'scheduler',
      attributes: {
        'lzy.task_id': taskId,
        'lzy.execution_id': executionId,
        'lzy.graph_id': graphId,
        'lzy.operation': operationName,
      },
    });
    this.#spans.set(taskId, span);
    this.progress(live);
  }

  /** Moves the task's span to the phase of its progress; ends it at a terminal state. */
  progress(live: LiveTask): void {
    const span = this.#spans.get(live.task.taskId);
    if (span === undefined) return;
    const { progress } = live;
    const phase = phaseOf(progress);
    if (phase !== undefined) {
      span.enter(phase);
      return;
    }
    this.#spans.delete(live.task.taskId);
    span.end({
      attributes: { 'lzy.task_state': progress.state, 'lzy.rc': progress.rc },
      ...(progress.state === 'SUCCEEDED' ? {} : { error: progress.description }),
    });
  }

  /** The trace context to send with the task's run. */
  traceContextOf(taskId: string): TraceContextFields | undefined {
    return this.#spans.get(taskId)?.traceContext();
  }
}
