import { WorkSpan } from '@lzy/grpc';
import type { TraceContextFields } from '@lzy/grpc';
import type { TaskEvent } from './task-record.ts';

/**
 * The worker's span of one task (`worker.task`, child of the scheduler's task span whose trace
 * context came with the run), cut by the task's own events into worker.inputs (inputs read, a
 * Python environment prepared) → worker.op (the command runs) → worker.outputs (outputs exposed
 * and bound), ended by `done`. Derived from the events so the run itself needs no tracing code.
 */
export function taskSpan(task: {
  taskId: string;
  executionId: string;
  traceContext?: TraceContextFields | undefined;
}): { span: WorkSpan; onEvent(event: TaskEvent): void } {
  const span = new WorkSpan('worker.task', {
    service: 'worker',
    parent: task.traceContext,
    attributes: { 'lzy.task_id': task.taskId, 'lzy.execution_id': task.executionId },
  });
  span.enter('worker.inputs');
  return {
    span,
    onEvent: (event) => {
      switch (event.kind) {
        case 'started':
          span.enter('worker.op');
          return;
        case 'exited':
          span.enter('worker.outputs');
          return;
        case 'done':
          span.end({
            attributes: { 'lzy.rc': event.rc },
            ...(event.rc === 0 ? {} : { error: event.description }),
          });
          return;
      }
    },
  };
}
