import { setTimeout as delay } from 'node:timers/promises';
import { FailedPrecondition } from '@lzy/errors';
import type { BidiCall, ChannelClientOptions } from '@lzy/grpc';
import { bidiStream, createChannelClient } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { commonOperation, worker } from '@lzy/proto';
import type {
  RunRequest,
  WorkerEvent,
  WorkerLink,
  WorkerLinkFactory,
  WorkerLinkHandlers,
} from '../domain/ports.ts';
import { backoffMs } from '../domain/retry.ts';

function toEvent(event: worker.DispatchEvent): WorkerEvent | undefined {
  const e = event.event;
  switch (e?.$case) {
    case 'started':
      return { kind: 'started', taskId: event.taskId };
    case 'exited':
      return {
        kind: 'exited',
        taskId: event.taskId,
        outputs: e.value.outputs.map((o) => ({
          channelId: o.channelId,
          slotUri: o.slotUri,
          sizeBytes: o.sizeBytes,
        })),
      };
    case 'done':
      return {
        kind: 'done',
        taskId: event.taskId,
        rc: e.value.rc,
        description: e.value.description,
      };
    case undefined:
      return undefined;
  }
}

function toRunMessage(run: RunRequest): worker.DispatchRequest {
  return {
    request: {
      $case: 'run',
      value: {
        taskId: run.taskId,
        executionId: run.executionId,
        taskDesc: commonOperation.TaskDesc.decode(run.taskDesc),
        portalAddress: run.portalAddress,
        inputSenders: [...run.inputSenders].map(([channelId, slotUri]) => ({ channelId, slotUri })),
        attempt: run.attempt,
        traceContext: run.traceContext,
      },
    },
  };
}

/** Dispatch streams over gRPC, one channel per worker. */
export class GrpcWorkerLinks implements WorkerLinkFactory {
  readonly #options: ChannelClientOptions;
  readonly #log: Logger;
  readonly #retryBackoffMs: number;

  constructor(deps: { options: ChannelClientOptions; log: Logger; retryBackoffMs: number }) {
    this.#options = deps.options;
    this.#log = deps.log;
    this.#retryBackoffMs = deps.retryBackoffMs;
  }

  open(
    vm: { vmId: string; address: string },
    owner: { userId: string; workflowName: string },
    handlers: WorkerLinkHandlers,
  ): WorkerLink {
    const client = createChannelClient(worker.WorkerServiceClient, vm.address, this.#options);
    const link = new GrpcWorkerLink({
      client,
      owner,
      handlers,
      log: this.#log.child({ component: 'worker-link', vmId: vm.vmId }),
      retryBackoffMs: this.#retryBackoffMs,
    });
    link.start();
    return link;
  }
}

/**
 * WorkerLink over WorkerService.Dispatch: attach, then runs and stops as they come; events are
 * handed to the dispatcher in order. A broken stream is re-opened with backoff and every run
 * without a `done` is sent again (the worker dedups by task id and reports what it knows first).
 */
class GrpcWorkerLink implements WorkerLink {
  readonly #client: worker.WorkerServiceClient;
  readonly #owner: { userId: string; workflowName: string };
  readonly #handlers: WorkerLinkHandlers;
  readonly #log: Logger;
  readonly #retryBackoffMs: number;
  readonly #closed = new AbortController();
  /** Runs sent (or to send) whose `done` has not come yet, in order. */
  readonly #outstanding = new Map<string, worker.DispatchRequest>();
  #call: BidiCall<worker.DispatchRequest, worker.DispatchEvent> | undefined;

  constructor(deps: {
    client: worker.WorkerServiceClient;
    owner: { userId: string; workflowName: string };
    handlers: WorkerLinkHandlers;
    log: Logger;
    retryBackoffMs: number;
  }) {
    this.#client = deps.client;
    this.#owner = deps.owner;
    this.#handlers = deps.handlers;
    this.#log = deps.log;
    this.#retryBackoffMs = deps.retryBackoffMs;
  }

  start(): void {
    void this.#loop();
  }

  run(request: RunRequest): void {
    const message = toRunMessage(request);
    this.#outstanding.set(request.taskId, message);
    this.#send(message);
  }

  stop(taskId: string, reason: string): void {
    this.#send({ request: { $case: 'stop', value: { taskId, reason } } });
  }

  close(): void {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort();
    this.#call?.cancel();
    this.#client.close();
  }

  /** Sent now if the stream is up; else the next attach re-sends outstanding runs. */
  #send(message: worker.DispatchRequest): void {
    const call = this.#call;
    if (call === undefined) return;
    call.write(message).catch(() => undefined); // a broken stream is noticed by the reader
  }

  async #loop(): Promise<void> {
    const signal = this.#closed.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const call = bidiStream(this.#client.dispatch.bind(this.#client), { signal });
        this.#call = call;
        await call.write({ request: { $case: 'attach', value: { ...this.#owner } } });
        for (const message of this.#outstanding.values()) await call.write(message);
        for await (const message of call.responses) {
          attempt = 0;
          const event = toEvent(message);
          if (event === undefined) continue;
          if (event.kind === 'done') this.#outstanding.delete(event.taskId);
          this.#handlers.onEvent(event);
        }
        throw new Error('the worker ended the Dispatch stream');
      } catch (err) {
        this.#call = undefined;
        if (signal.aborted) return;
        if (err instanceof FailedPrecondition) {
          this.#handlers.onRefused(err.message);
          return;
        }
        this.#log.debug({ err, attempt }, 'dispatch stream broke; re-opening');
        this.#handlers.onBroken(err);
        await delay(backoffMs(this.#retryBackoffMs, attempt), undefined, { signal }).catch(
          () => undefined,
        );
      }
    }
  }
}
