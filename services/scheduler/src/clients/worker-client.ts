import type { ChannelClientOptions } from '@lzy/grpc';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { commonOperation, worker } from '@lzy/proto';
import type {
  ExecuteParams,
  ExecutionEvent,
  WorkerConnection,
  WorkerPort,
} from '../domain/ports.ts';

/** Deadline of the unary worker calls; Execute only starts the task, it does not wait for it. */
const CALL_DEADLINE_MS = 60_000;

/** WorkerPort over gRPC: one channel per worker address, closed by the connection's user. */
export class WorkerClients implements WorkerPort {
  readonly #options: ChannelClientOptions;

  constructor(options: ChannelClientOptions) {
    this.#options = options;
  }

  connect(address: string): WorkerConnection {
    return new WorkerClient(
      createChannelClient(worker.WorkerServiceClient, address, this.#options),
    );
  }
}

class WorkerClient implements WorkerConnection {
  readonly #client: worker.WorkerServiceClient;

  constructor(client: worker.WorkerServiceClient) {
    this.#client = client;
  }

  async init(
    params: { userId: string; workflowName: string; executionId: string },
    signal: AbortSignal,
  ): Promise<void> {
    const client = this.#client;
    await unaryCall(client.init.bind(client), params, { signal, deadlineMs: CALL_DEADLINE_MS });
  }

  async execute(params: ExecuteParams, signal: AbortSignal): Promise<void> {
    const client = this.#client;
    const request: worker.ExecuteRequest = {
      taskId: params.taskId,
      executionId: params.executionId,
      taskDesc: commonOperation.TaskDesc.decode(params.taskDesc),
      portalAddress: params.portalAddress,
    };
    await unaryCall(client.execute.bind(client), request, {
      idempotencyKey: params.taskId,
      signal,
      deadlineMs: CALL_DEADLINE_MS,
    });
  }

  async *watchExecution(taskId: string, signal: AbortSignal): AsyncIterable<ExecutionEvent> {
    const client = this.#client;
    // From offset 0: std chunks are skipped here (the worker also sends them to the portal), but
    // an offset past the end is not a contract the worker promises to accept.
    const request = { taskId, stdoutOffset: 0, stderrOffset: 0 };
    const stream = serverStream(client.watchExecution.bind(client), request, { signal });
    for await (const message of stream) {
      const event = message.event;
      if (event?.$case === 'started') yield { kind: 'started' };
      else if (event?.$case === 'finished') {
        yield { kind: 'finished', rc: event.value.rc, description: event.value.description };
      }
    }
  }

  async stop(taskId: string, reason: string, signal: AbortSignal): Promise<void> {
    const client = this.#client;
    await unaryCall(client.stop.bind(client), { taskId, reason }, { signal, deadlineMs: 30_000 });
  }

  close(): void {
    this.#client.close();
  }
}
