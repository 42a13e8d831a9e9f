import { decodeLzyJwtUnverified } from '@lzy/auth';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { allocator } from '@lzy/proto';

/** Test double of AllocatorPrivateService (our own port): records Register and Heartbeat calls. */
export class AllocatorDouble {
  readonly registrations: Array<allocator.RegisterRequest & { issuer: string }> = [];
  readonly heartbeats: allocator.HeartbeatRequest[] = [];
  readonly #heartbeatPeriodMs: number;
  #server: GrpcServer | undefined;

  constructor(options: { heartbeatPeriodMs: number }) {
    this.#heartbeatPeriodMs = options.heartbeatPeriodMs;
  }

  async start(log: Logger): Promise<string> {
    this.#server = await startGrpcServer({
      name: 'allocator-double',
      port: 0,
      log,
      services: [
        implement(
          allocator.AllocatorPrivateServiceService,
          {
            register: (request, ctx) => {
              const token = (ctx.authorization ?? '').replace(/^Bearer /, '');
              const issuer = decodeLzyJwtUnverified(token).claims.iss;
              this.registrations.push({ ...request, issuer });
              return Promise.resolve({ heartbeatPeriodMs: this.#heartbeatPeriodMs });
            },
            heartbeat: (request) => {
              this.heartbeats.push(request);
              return Promise.resolve({});
            },
          },
          { auth: 'none' },
        ),
      ],
    });
    return `127.0.0.1:${this.#server.port}`;
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
