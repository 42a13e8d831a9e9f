import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { ExactTime } from '../domain/whiteboard.ts';

/*
 * ts-proto maps google.protobuf.Timestamp to Date (milliseconds), but pylzy compares the
 * whiteboard it wrote to storage with Get's answer by protobuf equality, nanoseconds included
 * (python-client-protocol §7.5): a truncated createdAt would cost an UpdateWhiteboard per read.
 * So the few Timestamps of this API are read from and written to the raw bytes here.
 */

/**
 * The Timestamp at `path` (field numbers from the outer message down to the Timestamp field) in
 * `bytes`, or undefined when absent. Repeated occurrences merge as protobuf says (last wins).
 */
export function readTimestampAt(bytes: Uint8Array, path: readonly number[]): ExactTime | undefined {
  const [field, ...rest] = path;
  if (field === undefined) return readTimestamp(bytes);
  let found: ExactTime | undefined;
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === field && wireType === WireType.LengthDelimited) {
      const inner = readTimestampAt(reader.bytes(), rest);
      if (inner !== undefined) found = inner;
    } else {
      reader.skip(wireType);
    }
  }
  return found;
}

function readTimestamp(bytes: Uint8Array): ExactTime {
  const time: ExactTime = { seconds: 0, nanos: 0 };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === 1 && wireType === WireType.Varint) time.seconds = Number(reader.int64());
    else if (number === 2 && wireType === WireType.Varint) time.nanos = reader.int32();
    else reader.skip(wireType);
  }
  return time;
}

/** Appends `time` as message field `field` to `writer` (proto3: zero members are omitted). */
export function writeTimestamp(writer: BinaryWriter, field: number, time: ExactTime): BinaryWriter {
  writer.tag(field, WireType.LengthDelimited).fork();
  if (time.seconds !== 0) writer.tag(1, WireType.Varint).int64(time.seconds);
  if (time.nanos !== 0) writer.tag(2, WireType.Varint).int32(time.nanos);
  return writer.join();
}
