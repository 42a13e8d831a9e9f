import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { health } from '@lzy/proto';

const SLOTS_SERVICE = 'lzy.internal.slots.v1.SlotsService';

/**
 * The address of a worker sender, played by a plain grpc-js server: it answers the health check
 * of its SlotsService (SERVING while `servesSlots`, else NOT_FOUND as an address that serves
 * something else would) and records the `authorization` header of every check it gets, so a test
 * can see what the channel manager sends to an address a VM bound.
 */
export class SlotsDouble {
  servesSlots = true;
  checkCalls = 0;
  /** The `authorization` values of the checks received ('' for a check without one). */
  readonly authorizations: string[] = [];
  #server: Server | undefined;
  #port = 0;

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    const server = new Server();
    const implementation: health.HealthServer = {
      check: (call, callback) => {
        this.checkCalls += 1;
        this.authorizations.push(String(call.metadata.get('authorization')[0] ?? ''));
        if (call.request.service === SLOTS_SERVICE && this.servesSlots)
          callback(null, { status: health.HealthCheckResponse_ServingStatus.SERVING });
        else callback({ code: status.NOT_FOUND, details: `unknown service` });
      },
      watch: (call) => call.end(),
    };
    server.addService(health.HealthService, implementation);
    this.#port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    server.forceShutdown();
  }
}
