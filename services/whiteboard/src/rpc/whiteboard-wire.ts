import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { lzyWhiteboard, lzyWhiteboardService } from '@lzy/proto';
import type { ExactTime, Whiteboard, WhiteboardInput } from '../domain/whiteboard.ts';
import { readTimestampAt, writeTimestamp } from './exact-timestamps.ts';

const { Whiteboard_Status } = lzyWhiteboard;
const service = lzyWhiteboardService.LzyWhiteboardServiceService;

/** Whiteboard.createdAt is field 8; every request/response holds the whiteboard(s) in field 1. */
const CREATED_AT = 8;
const WHITEBOARD = 1;

/** A whiteboard-carrying request, decoded with its exact createdAt. */
export interface WhiteboardRequest {
  whiteboard: WhiteboardInput | undefined;
}

/** ListRequest with exact bounds (field 3 `createdTimeBounds`: 1 `from_`, 2 `to`). */
export interface ListQuery {
  name: string;
  tags: string[];
  from: ExactTime | undefined;
  to: ExactTime | undefined;
}

function statusOf(status: lzyWhiteboard.Whiteboard_Status): WhiteboardInput['status'] {
  if (status === Whiteboard_Status.WHITEBOARD_STATUS_UNSPECIFIED) return undefined;
  if (status === Whiteboard_Status.CREATED) return 'CREATED';
  if (status === Whiteboard_Status.FINALIZED) return 'FINALIZED';
  return 'UNKNOWN';
}

function toInput(w: lzyWhiteboard.Whiteboard, createdAt: ExactTime | undefined): WhiteboardInput {
  return {
    id: w.id,
    name: w.name,
    tags: w.tags,
    fields: w.fields.map((f) => ({ name: f.name, scheme: f.scheme })),
    storage: {
      name: w.storage?.name ?? '',
      description: w.storage?.description ?? '',
      uri: w.storage?.uri ?? '',
    },
    namespace: w.namespace,
    status: statusOf(w.status),
    createdAt,
  };
}

function decodeWhiteboardRequest(bytes: Buffer): WhiteboardRequest {
  const { whiteboard } = lzyWhiteboardService.RegisterWhiteboardRequest.decode(bytes);
  if (whiteboard === undefined) return { whiteboard: undefined };
  return { whiteboard: toInput(whiteboard, readTimestampAt(bytes, [WHITEBOARD, CREATED_AT])) };
}

function decodeListRequest(bytes: Buffer): ListQuery {
  const request = lzyWhiteboardService.ListRequest.decode(bytes);
  return {
    name: request.name,
    tags: request.tags,
    from: readTimestampAt(bytes, [3, 1]),
    to: readTimestampAt(bytes, [3, 2]),
  };
}

function toProto(w: Whiteboard): lzyWhiteboard.Whiteboard {
  return {
    id: w.id,
    name: w.name,
    tags: w.tags,
    fields: w.fields,
    storage: w.storage,
    namespace: w.namespace,
    status: Whiteboard_Status[w.status],
    createdAt: undefined, // written exactly by writeWhiteboard
  };
}

function writeWhiteboard(writer: BinaryWriter, field: number, w: Whiteboard): void {
  writer.tag(field, WireType.LengthDelimited).fork();
  lzyWhiteboard.Whiteboard.encode(toProto(w), writer);
  writeTimestamp(writer, CREATED_AT, w.createdAt);
  writer.join();
}

/** GetResponse / ListResponse bytes: whiteboards as repeated field 1, createdAt exact. */
export function encodeWhiteboards(whiteboards: readonly Whiteboard[]): Buffer {
  const writer = new BinaryWriter();
  for (const w of whiteboards) writeWhiteboard(writer, WHITEBOARD, w);
  return Buffer.from(writer.finish());
}

/** Size of a whiteboard inside a GetResponse, as the client receives it. */
export function encodedWhiteboardSize(w: Whiteboard): number {
  return encodeWhiteboards([w]).length;
}

const passBytes = (value: Buffer): Buffer => value;

/**
 * LzyWhiteboardService with our codecs: requests decode to domain inputs with exact Timestamps,
 * Get/List handlers return the encoded response (so they can check its size first). Paths and
 * wire format are the generated ones.
 */
export const whiteboardServiceDefinition = {
  registerWhiteboard: {
    ...service.registerWhiteboard,
    requestDeserialize: decodeWhiteboardRequest,
  },
  updateWhiteboard: {
    ...service.updateWhiteboard,
    requestDeserialize: decodeWhiteboardRequest,
  },
  get: { ...service.get, responseSerialize: passBytes, responseDeserialize: passBytes },
  list: {
    ...service.list,
    requestDeserialize: decodeListRequest,
    responseSerialize: passBytes,
    responseDeserialize: passBytes,
  },
} as const;
