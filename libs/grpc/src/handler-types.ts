import type { Metadata, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from '@lzy/logging';
import type { Subject } from './authenticator.ts';

/** What every handler gets besides its request(s). */
export interface CallContext {
  /** Child logger bound to `{ rid, rpc, subject }`. */
  log: Logger;
  /** `x-request-id` of the call (adopted from the caller or generated), echoed back to it. */
  requestId: string;
  /** The authenticated caller; absent only on methods registered with auth 'none'. */
  subject?: Subject;
  /** `idempotency-key` header, if sent (reference-lzy-internals §1.5). */
  idempotencyKey?: string;
  /** Raw `authorization` header, to forward where the caller's own identity is needed (IAM). */
  authorization?: string;
  metadata: Metadata;
  /** Absolute deadline set by the client, if any. */
  deadline?: Date;
  /** Aborted when the client cancels, the deadline passes or the server is force-stopped. */
  signal: AbortSignal;
}

/**
 * Sends one response message. Resolves when the transport accepts more (backpressure), rejects
 * with the abort reason (Cancelled/DeadlineExceeded) once the call is over.
 */
export type Send<Res> = (message: Res) => Promise<void>;

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
/** Server streaming: send messages, resolve to end the stream with OK, throw to end it with an error. */
export type ServerStreamHandler<Req, Res> = (
  request: Req,
  ctx: CallContext,
  send: Send<Res>,
) => Promise<void>;
export type ClientStreamHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
) => Promise<Res>;
export type BidiStreamHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
  send: Send<Res>,
) => Promise<void>;

/** The part of a ts-proto (outputServices=grpc-js) method definition we infer types from. */
export interface MethodShape {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
}
export type ServiceShape = Readonly<Record<string, MethodShape>>;

export type RequestOf<M> = M extends { requestDeserialize: (bytes: Buffer) => infer Req }
  ? Req
  : never;
export type ResponseOf<M> = M extends { responseSerialize: (value: infer Res) => Buffer }
  ? Res
  : never;

/** The handler signature a method needs, picked by its requestStream/responseStream flags. */
export type HandlerFor<M> = M extends { requestStream: true; responseStream: true }
  ? BidiStreamHandler<RequestOf<M>, ResponseOf<M>>
  : M extends { requestStream: true }
    ? ClientStreamHandler<RequestOf<M>, ResponseOf<M>>
    : M extends { responseStream: true }
      ? ServerStreamHandler<RequestOf<M>, ResponseOf<M>>
      : UnaryHandler<RequestOf<M>, ResponseOf<M>>;

/**
 * One handler per method of the definition, keyed like the definition (ts-proto: lowerCamelCase).
 * `'unimplemented'` answers UNIMPLEMENTED (e.g. LongRunningService.List, public-api.md §7.1).
 */
export type ServiceHandlers<D extends ServiceShape> = {
  [K in keyof D]: HandlerFor<D[K]> | 'unimplemented';
};

/** `'required'` (the default): the bootstrap authenticates before the handler runs. */
export type AuthMode = 'required' | 'none';
export type AuthPolicy<K extends string = string> = AuthMode | Partial<Record<K, AuthMode>>;

type AnyHandler =
  | UnaryHandler<never, unknown>
  | ServerStreamHandler<never, unknown>
  | ClientStreamHandler<never, unknown>
  | BidiStreamHandler<never, unknown>;

/** A service ready for startGrpcServer; build it with `implement`. */
export interface ServiceRegistration {
  definition: ServiceDefinition;
  handlers: Readonly<Record<string, AnyHandler | 'unimplemented'>>;
  /** A per-method map falls back to 'required' for methods it does not name. */
  auth: AuthPolicy;
}

/**
 * Binds typed async handlers to a generated service definition:
 * ```ts
 * implement(LzyWorkflowServiceService, {
 *   startWorkflow: async (req, ctx) => ({ executionId, … }),
 *   readStdSlots: async (req, ctx, send) => { for await (const chunk of …) await send(chunk); },
 * });
 * ```
 * Request/response types come from the definition's serializers, the handler kind from its
 * requestStream/responseStream flags. Streaming responses use a `send` callback rather than an
 * async generator so a handler can forward from callbacks/other streams while honouring backpressure.
 */
export function implement<D extends ServiceShape>(
  definition: D,
  handlers: ServiceHandlers<D>,
  options: { auth?: AuthPolicy<Extract<keyof D, string>> } = {},
): ServiceRegistration {
  return {
    definition: definition as unknown as ServiceDefinition,
    handlers,
    auth: options.auth ?? 'required',
  };
}

/** The mode of one method under a policy. */
export function authModeOf(policy: AuthPolicy, method: string): AuthMode {
  return typeof policy === 'string' ? policy : (policy[method] ?? 'required');
}
