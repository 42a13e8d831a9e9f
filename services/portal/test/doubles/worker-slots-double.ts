import { PresignedUploader } from '@lzy/blob';
import { NotFound, Unavailable } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { commonSlot, slots } from '@lzy/proto';

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

interface ServedSlot {
  content: SlotContent;
  /** Answers GetSlotStatus with its size and serves UploadSlot, as a worker does. */
  uploads: boolean;
  /** UploadSlot calls that fail with UNAVAILABLE after storing one part (a broken stream). */
  uploadFailures: number;
}

/**
 * Test double of a worker's SlotsService over real grpc-js: ReadSlot of registered slots, and for
 * slots added with `uploads`, GetSlotStatus and UploadSlot (PUTs to the presigned URLs).
 */
export class WorkerSlotsDouble {
  readonly #slots = new Map<string, ServedSlot>();
  readonly #uploader = new PresignedUploader();
  readonly #hasUploadSlot: boolean;
  #server: GrpcServer | undefined;
  address = '';
  /** Part numbers in the order UploadSlot stored them, over all calls. */
  readonly storedParts: number[] = [];

  /** `hasUploadSlot: false` answers UploadSlot with UNIMPLEMENTED, as a worker before it did. */
  constructor(opts: { hasUploadSlot?: boolean } = {}) {
    this.#hasUploadSlot = opts.hasUploadSlot ?? true;
  }

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
              const { content } = this.#slot(request.slotUri);
              let offset = request.offset;
              for (const data of content.chunksFrom(offset)) {
                await send({ event: { $case: 'chunk', value: { offset, data } } });
                offset += data.byteLength;
              }
              await send({ event: { $case: 'eos', value: { sizeBytes: content.sizeBytes } } });
            },
            getSlotStatus: (request) => {
              const slot = this.#uploading(request.slotUri);
              return Promise.resolve({
                status: {
                  taskId: 'producer',
                  connectedTo: '',
                  pointer: slot.content.sizeBytes,
                  state: commonSlot.SlotStatus_State.OPEN,
                },
              });
            },
            uploadSlot: !this.#hasUploadSlot
              ? 'unimplemented'
              : async (request, ctx, send) => {
                  const slot = this.#uploading(request.slotUri);
                  for (const part of request.parts) {
                    const etag = await this.#uploader.put(
                      part.url,
                      rangeOf(slot.content, part.offset, part.sizeBytes),
                      ctx.signal,
                    );
                    this.storedParts.push(part.partNumber);
                    await send({ partNumber: part.partNumber, etag });
                    if (slot.uploadFailures > 0) {
                      slot.uploadFailures -= 1;
                      throw new Unavailable('the worker double broke the stream');
                    }
                  }
                },
          },
          { auth: 'none' },
        ),
      ],
    });
    this.address = `127.0.0.1:${this.#server.port}`;
  }

  /**
   * Serves `content` at `slot://<address>/<taskId>/<slotName>` and returns that URI. With
   * `uploads`, the slot also says its size and uploads itself, the first `uploadFailures`
   * UploadSlot calls breaking after one part.
   */
  addSlot(
    taskId: string,
    slotName: string,
    content: SlotContent,
    opts: { uploads?: boolean; uploadFailures?: number } = {},
  ): string {
    const uri = `slot://${this.address}/${taskId}/${slotName}`;
    this.#slots.set(uri, {
      content,
      uploads: opts.uploads ?? false,
      uploadFailures: opts.uploadFailures ?? 0,
    });
    return uri;
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
    this.#uploader.close();
  }

  #slot(uri: string): ServedSlot {
    const slot = this.#slots.get(uri);
    if (slot === undefined) throw new NotFound(`no slot ${uri}`);
    return slot;
  }

  /** A slot that uploads itself; others answer UNIMPLEMENTED-like NotFound, as old workers would. */
  #uploading(uri: string): ServedSlot {
    const slot = this.#slot(uri);
    if (!slot.uploads) throw new NotFound(`slot ${uri} does not upload itself`);
    return slot;
  }
}

/** Positional reads of bytes [offset, offset + sizeBytes) of `content`. */
function rangeOf(content: SlotContent, offset: number, sizeBytes: number) {
  return {
    sizeBytes,
    read: (buffer: Buffer, position: number, length: number): Promise<number> => {
      let copied = 0;
      let at = offset + position;
      for (const chunk of content.chunksFrom(at)) {
        copied += chunk.copy(buffer, copied, 0, Math.min(chunk.length, length - copied));
        at += chunk.length;
        if (copied >= length) break;
      }
      return Promise.resolve(copied);
    },
  };
}
