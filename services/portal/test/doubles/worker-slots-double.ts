import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { slots } from '@lzy/proto';

/** Content of a slot: produces its chunks from an offset (so large slots need no buffer). */
export type SlotContent = { sizeBytes: number; chunksFrom: (offset: number) => Iterable<Buffer> };

/** A buffer as slot content, cut into chunks of `chunkBytes`. */
export function bufferContent(data: Buffer, chunkBytes = 256 * 1024): SlotContent {
  return {
    sizeBytes: data.byteLength,
    *chunksFrom(offset) {
      for (let at = offset; at < data.byteLength; at += chunkBytes)
        yield data.subarray(at, Math.min(at + chunkBytes, data.byteLength));
    },
  };
}

/** Test double of a worker's SlotsService.ReadSlot over real grpc-js, serving registered slots. */
export class WorkerSlotsDouble {
  readonly #slots = new Map<string, SlotContent>();
  #server: GrpcServer | undefined;
  address = '';

  async start(log: Logger): Promise<void> {
    this.#server = await startGrpcServer({
      name: 'worker-double',
      port: 0,
      log,
      services: [
        implement(
          slots.SlotsServiceService,
          {
            readSlot: async (request, _ctx, send) => {
              const content = this.#slots.get(request.slotUri);
              if (content === undefined) throw new Error(`no slot ${request.slotUri}`);
              let offset = request.offset;
              for (const data of content.chunksFrom(offset)) {
                await send({ event: { $case: 'chunk', value: { offset, data } } });
                offset += data.byteLength;
              }
              await send({ event: { $case: 'eos', value: { sizeBytes: content.sizeBytes } } });
            },
            getSlotStatus: 'unimplemented',
          },
          { auth: 'none' },
        ),
      ],
    });
    this.address = `127.0.0.1:${this.#server.port}`;
  }

  /** Serves `content` at `slot://<address>/<taskId>/<slotName>` and returns that URI. */
  addSlot(taskId: string, slotName: string, content: SlotContent): string {
    const uri = `slot://${this.address}/${taskId}/${slotName}`;
    this.#slots.set(uri, content);
    return uri;
  }

  stop(): Promise<void> {
    return this.#server?.stop() ?? Promise.resolve();
  }
}
