import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { portal } from '@lzy/proto';

/** One chunk a caller wrote with WriteStd. */
export interface StdLine {
  taskId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A portal over real grpc-js that only records WriteStd chunks (what the user would read). */
export class PortalStdDouble {
  readonly lines: StdLine[] = [];
  #server: GrpcServer | undefined;

  get address(): string {
    if (this.#server === undefined) throw new Error('portal double not started');
    return `127.0.0.1:${this.#server.port}`;
  }

  async start(log: Logger): Promise<void> {
    this.#server = await startGrpcServer({
      name: 'portal-std-double',
      port: 0,
      log,
      shutdownGraceMs: 100,
      services: [
        implement(
          portal.PortalServiceService,
          {
            openSlots: 'unimplemented',
            getSlotsStatus: 'unimplemented',
            watchSlots: 'unimplemented',
            finish: 'unimplemented',
            stop: 'unimplemented',
            readStd: 'unimplemented',
            writeStd: async (requests) => {
              for await (const r of requests) {
                this.lines.push({
                  taskId: r.taskId,
                  stream: r.stream === portal.StdStream.STD_STREAM_STDERR ? 'stderr' : 'stdout',
                  text: Buffer.from(r.data).toString('utf8'),
                });
              }
              return {};
            },
          },
          { auth: 'none' },
        ),
      ],
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
