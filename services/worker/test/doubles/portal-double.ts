import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { portal } from '@lzy/proto';

/** Test double of PortalService (our own port) recording what WriteStd receives. */
export class PortalDouble {
  readonly received: portal.WriteStdRequest[] = [];
  /** The `traceparent` of each WriteStd call ('' without one). */
  readonly traceparents: string[] = [];
  #server: GrpcServer | undefined;

  async start(log: Logger): Promise<string> {
    this.#server = await startGrpcServer({
      name: 'portal-double',
      port: 0,
      log,
      services: [
        implement(
          portal.PortalServiceService,
          {
            openSlots: 'unimplemented',
            watchSlots: 'unimplemented',
            getSlotsStatus: 'unimplemented',
            readStd: 'unimplemented',
            finish: 'unimplemented',
            stop: 'unimplemented',
            writeStd: async (requests, ctx) => {
              const traceparent = ctx.metadata.get('traceparent')[0];
              this.traceparents.push(typeof traceparent === 'string' ? traceparent : '');
              for await (const request of requests) this.received.push(request);
              return {};
            },
          },
          { auth: 'none' },
        ),
      ],
    });
    return `127.0.0.1:${this.#server.port}`;
  }

  /** All data received for one task and stream, concatenated. */
  text(taskId: string, stream: portal.StdStream): string {
    return Buffer.concat(
      this.received.filter((r) => r.taskId === taskId && r.stream === stream).map((r) => r.data),
    ).toString('utf8');
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
