import type { ClientWritableStream } from '@grpc/grpc-js';
import { createChannelClient } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { portal } from '@lzy/proto';
import type { StdSinkPort, StdWriter } from '../domain/ports.ts';
import type { StdStreamName } from '../domain/task-record.ts';

const STREAMS: Record<StdStreamName, portal.StdStream> = {
  stdout: portal.StdStream.STD_STREAM_STDOUT,
  stderr: portal.StdStream.STD_STREAM_STDERR,
};

/**
 * StdSinkPort over the client-streaming PortalService.WriteStd: one call per task. Best effort:
 * a portal that fails the call loses the rest of that task's std (the worker's own
 * WatchExecution still has it), the task itself is not affected.
 */
export class PortalStdClient implements StdSinkPort {
  readonly #callCredentials: (() => Promise<string>) | undefined;
  readonly #log: Logger;
  readonly #clients = new Map<string, portal.PortalServiceClient>();

  constructor(deps: { callCredentials: (() => Promise<string>) | undefined; log: Logger }) {
    this.#callCredentials = deps.callCredentials;
    this.#log = deps.log;
  }

  open(portalAddress: string, taskId: string): StdWriter {
    const client = this.#client(portalAddress);
    const log = this.#log.child({ taskId, portalAddress });
    let failed = false;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const call: ClientWritableStream<portal.WriteStdRequest> = client.writeStd((err) => {
      if (err !== null) {
        failed = true;
        log.warn({ code: err.code, reason: err.details }, 'WriteStd to the portal failed');
      }
      finish();
    });
    return {
      write: (stream, data) =>
        new Promise<void>((resolve) => {
          if (failed || call.writableEnded) return resolve();
          if (call.write({ taskId, stream: STREAMS[stream], data })) return resolve();
          const onSettled = () => {
            call.off('drain', onSettled);
            call.off('close', onSettled);
            resolve();
          };
          call.on('drain', onSettled);
          call.on('close', onSettled);
          void done.then(onSettled);
        }),
      close: async () => {
        if (!call.writableEnded) call.end();
        await done;
      },
    };
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(address: string): portal.PortalServiceClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      // No retries: a client stream is not replayable.
      client = createChannelClient(portal.PortalServiceClient, address, {
        callCredentials: this.#callCredentials,
        retry: false,
      });
      this.#clients.set(address, client);
    }
    return client;
  }
}
