import { Metadata } from '@grpc/grpc-js';
import { unaryCall } from '@lzy/grpc';
import { lzyWhiteboard } from '@lzy/proto';
import type { lzyWhiteboardService } from '@lzy/proto';
import type { Whiteboard, WhiteboardSource } from '../domain/ports.ts';

function asUser(token: string): { metadata: Metadata } {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return { metadata };
}

function toWhiteboard(wb: lzyWhiteboard.Whiteboard): Whiteboard {
  const { CREATED, FINALIZED } = lzyWhiteboard.Whiteboard_Status;
  return {
    id: wb.id,
    name: wb.name,
    tags: wb.tags,
    status: wb.status === CREATED ? 'CREATED' : wb.status === FINALIZED ? 'FINALIZED' : 'UNKNOWN',
    createdAt: wb.createdAt,
    storageUri: wb.storage?.uri ?? '',
    fields: wb.fields.map((f) => ({
      name: f.name,
      dataFormat: f.scheme?.dataFormat ?? '',
      schemeFormat: f.scheme?.schemeFormat ?? '',
    })),
  };
}

/** WhiteboardSource over the public LzyWhiteboardService, each call carrying the user's JWT. */
export class WhiteboardClient implements WhiteboardSource {
  readonly #client: lzyWhiteboardService.LzyWhiteboardServiceClient;

  constructor(deps: { client: lzyWhiteboardService.LzyWhiteboardServiceClient }) {
    this.#client = deps.client;
  }

  async list(
    token: string,
    query: { name: string; tags: string[]; from: Date | undefined; to: Date | undefined },
  ): Promise<Whiteboard[]> {
    const c = this.#client;
    const { whiteboards } = await unaryCall(
      c.list.bind(c),
      {
        name: query.name,
        tags: query.tags,
        createdTimeBounds: { from: query.from, to: query.to },
      },
      asUser(token),
    );
    return whiteboards.map(toWhiteboard);
  }

  async get(token: string, id: string): Promise<Whiteboard> {
    const c = this.#client;
    const { whiteboard } = await unaryCall(c.get.bind(c), { whiteboardId: id }, asUser(token));
    if (whiteboard === undefined) throw new Error('Get answered without a whiteboard');
    return toWhiteboard(whiteboard);
  }
}
