import type { Any } from './gen/google/protobuf/any.ts';

// google.protobuf.Any convention; pylzy compares only the part after the last '/'.
const TYPE_URL_PREFIX = 'type.googleapis.com/';

/**
 * The part of a generated message object (`lzyWorkflowService.FinishWorkflowResponse`, …) that
 * packing needs. `$type` is the full protobuf name (ts-proto `outputTypeAnnotations=static-only`).
 */
export interface PackableMessage<T> {
  readonly $type: string;
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** `type.googleapis.com/<full message name>`, the type_url of an Any holding `type`. */
export function typeUrlOf(type: PackableMessage<unknown>): string {
  return TYPE_URL_PREFIX + type.$type;
}

/**
 * Packs `message` into an Any, e.g. an Operation.response:
 * `packAny(lzyWorkflowService.FinishWorkflowResponse, {})`.
 */
export function packAny<T>(type: PackableMessage<T>, message: T): Any {
  const bytes = type.encode(message).finish();
  return {
    typeUrl: typeUrlOf(type),
    value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  };
}

/**
 * Unpacks an Any holding `type`. Returns undefined when it holds another type (compared by the
 * name after the last '/', as protobuf runtimes do). Throws if the bytes are not a valid `type`.
 */
export function unpackAny<T>(type: PackableMessage<T>, any: Any): T | undefined {
  const name = any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1);
  return name === type.$type ? type.decode(any.value) : undefined;
}
