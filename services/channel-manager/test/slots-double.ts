import { NotFound } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { commonSlot, slots } from '@lzy/proto';

/**
 * A worker's SlotsService played by a real gRPC server: it serves the slots in `served` (OPEN)
 * and counts the status questions it gets. ReadSlot is not needed by the channel manager.
 */
export class SlotsDouble {
  readonly served = new Set<string>();
  statusCalls = 0;
  #server: GrpcServer | undefined;

  get address(): string {
    return `127.0.0.1:${this.#server?.port ?? 0}`;
  }

  async start(): Promise<void> {
    this.#server = await startGrpcServer({
      name: 'slots-double',
      port: 0,
      log: createLogger({ service: 'slots-double', level: 'silent' }),
      shutdownGraceMs: 0,
      services: [
        implement(
          slots.SlotsServiceService,
          {
            readSlot: 'unimplemented',
            uploadSlot: 'unimplemented',
            getSlotStatus: (request) => {
              this.statusCalls += 1;
              if (!this.served.has(request.slotUri))
                return Promise.reject(new NotFound(`slot ${request.slotUri} is unknown`));
              return Promise.resolve({
                status: {
                  taskId: 'producer',
                  declaration: undefined,
                  connectedTo: '',
                  pointer: 0,
                  state: commonSlot.SlotStatus_State.OPEN,
                },
              });
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
