import { FailedPrecondition, isDomainError } from '@lzy/errors';
import type { CallContext, Send } from '@lzy/grpc';
import type { worker } from '@lzy/proto';
import { ChangeSignal } from '../domain/change-signal.ts';
import type { TaskEvent } from '../domain/task-record.ts';
import type { Worker } from '../domain/worker.ts';

/** ExecuteResponse.rc when LZY itself failed (reference §7.2). */
const RC_INTERNAL_ERROR = 98;

function toProtoEvent(event: TaskEvent): worker.DispatchEvent {
  switch (event.kind) {
    case 'started':
      return { taskId: event.taskId, event: { $case: 'started', value: {} } };
    case 'exited':
      return {
        taskId: event.taskId,
        event: { $case: 'exited', value: { outputs: event.outputs } },
      };
    case 'done':
      return {
        taskId: event.taskId,
        event: { $case: 'done', value: { rc: event.rc, description: event.description } },
      };
  }
}

/** Events waiting to be sent on one Dispatch stream; `close` ends it. */
class Outbox {
  readonly #queue: worker.DispatchEvent[] = [];
  readonly #changed = new ChangeSignal();
  closed = false;

  push(event: worker.DispatchEvent): void {
    this.#queue.push(event);
    this.#changed.notify();
  }

  close(): void {
    this.closed = true;
    this.#changed.notify();
  }

  /** Sends until closed or the call ends. */
  async drain(send: Send<worker.DispatchEvent>, signal: AbortSignal): Promise<void> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        await send(next);
        continue;
      }
      if (this.closed || signal.aborted) return;
      await this.#changed.wait(signal).catch(() => undefined);
    }
  }
}

/**
 * WorkerService.Dispatch (worker.proto): the scheduler's stream. The first request attaches the
 * owner; then every event of every task goes out, the ones of tasks already known first
 * (resync), and `run`/`stop` requests act on the worker. A newer stream replaces this one.
 */
export class DispatchLinks {
  readonly #domain: Worker;
  #current: Outbox | undefined;

  constructor(domain: Worker) {
    this.#domain = domain;
  }

  async serve(
    requests: AsyncIterable<worker.DispatchRequest>,
    ctx: CallContext,
    send: Send<worker.DispatchEvent>,
  ): Promise<void> {
    const outbox = new Outbox();
    this.#current?.close();
    this.#current = outbox;
    let unsubscribe: (() => void) | undefined;
    const reading = (async () => {
      try {
        for await (const request of requests) {
          const r = request.request;
          if (r === undefined) continue;
          if (r.$case === 'attach') {
            this.#domain.init({ userId: r.value.userId, workflowName: r.value.workflowName });
            if (unsubscribe === undefined) {
              unsubscribe = this.#domain.onTaskEvent((e) => outbox.push(toProtoEvent(e)));
              for (const e of this.#domain.knownEvents()) outbox.push(toProtoEvent(e));
            }
          } else if (unsubscribe === undefined) {
            throw new FailedPrecondition(
              'attach first: the first Dispatch request names the owner',
            );
          } else if (r.$case === 'run') {
            this.#run(r.value, ctx, outbox);
          } else {
            this.#stop(r.value);
          }
        }
      } finally {
        outbox.close();
      }
    })();
    try {
      await Promise.all([reading, outbox.drain(send, ctx.signal)]);
    } finally {
      unsubscribe?.();
      outbox.close();
      if (this.#current === outbox) this.#current = undefined;
    }
  }

  /** A task that cannot start ends at once with rc 98 and the reason (its `done` event). */
  #run(run: worker.DispatchRequest_Run, ctx: CallContext, outbox: Outbox): void {
    try {
      this.#domain.execute(
        {
          taskId: run.taskId,
          executionId: run.executionId,
          taskDesc: run.taskDesc ?? { operation: undefined, slotAssignments: [] },
          portalAddress: run.portalAddress,
          inputSenders: new Map(run.inputSenders.map((s) => [s.channelId, s.slotUri])),
          attempt: run.attempt,
          // Never the stream's own context: the Dispatch call outlives every task.
          traceContext: run.traceContext ?? { traceparent: '', tracestate: '' },
        },
        ctx.subject?.id ?? '',
      );
    } catch (err) {
      if (!isDomainError(err)) throw err;
      const done = { rc: RC_INTERNAL_ERROR, description: err.message };
      outbox.push({ taskId: run.taskId, event: { $case: 'done', value: done } });
    }
  }

  #stop(stop: worker.DispatchRequest_Stop): void {
    try {
      this.#domain.stop(stop.taskId, stop.reason);
    } catch {
      // not known here: nothing runs, nothing to stop
    }
  }
}
