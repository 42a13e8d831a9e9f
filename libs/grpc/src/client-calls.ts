import { Metadata } from '@grpc/grpc-js';
import type {
  CallOptions,
  ClientDuplexStream,
  ClientReadableStream,
  ClientUnaryCall,
  ServiceError,
} from '@grpc/grpc-js';
import { fromGrpcError, isServiceError } from './status.ts';

/** Per-call options of unaryCall/serverStream. */
export interface CallParams {
  /** Extra metadata (e.g. `idempotency-key`, a forwarded `authorization`). Not modified. */
  metadata?: Metadata;
  /** Sent as `x-request-id`: pass the handler's `ctx.requestId` to trace a request across services. */
  requestId?: string;
  /** Sent as `idempotency-key`; use a deterministic key where retries matter (reference-lzy-internals §1.5). */
  idempotencyKey?: string;
  /** Overrides the client's default deadline. */
  deadlineMs?: number;
  /** Cancels the call when aborted; pass `ctx.signal` to stop downstream work when our caller goes. */
  signal?: AbortSignal;
}

/** A ts-proto client method with `.bind(client)`; its last overload is the one used. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export type ServerStreamMethod<Req, Res> = (
  request: Req,
  metadata?: Metadata,
  options?: Partial<CallOptions>,
) => ClientReadableStream<Res>;

function prepare(params: CallParams): { metadata: Metadata; options: Partial<CallOptions> } {
  const metadata = params.metadata?.clone() ?? new Metadata();
  if (params.requestId !== undefined) metadata.set('x-request-id', params.requestId);
  if (params.idempotencyKey !== undefined) metadata.set('idempotency-key', params.idempotencyKey);
  const options =
    params.deadlineMs === undefined ? {} : { deadline: Date.now() + params.deadlineMs };
  return { metadata, options };
}

/**
 * Promise form of a unary call: `await unaryCall(client.getSubject.bind(client), req, { requestId })`.
 * @throws the DomainError matching the status (NOT_FOUND → NotFound, UNAVAILABLE → Unavailable, …),
 *   or GrpcCallError for INTERNAL/UNKNOWN/UNIMPLEMENTED/DATA_LOSS (see fromGrpcError).
 */
export function unaryCall<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  params: CallParams = {},
): Promise<Res> {
  const { signal } = params;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const { metadata, options } = prepare(params);
  return new Promise<Res>((resolve, reject) => {
    const call = method(request, metadata, options, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      if (error) reject(fromGrpcError(error));
      else resolve(response);
    });
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

/**
 * A server-streaming call as an async iterable; breaking out of the loop cancels the call.
 * @throws (from the iteration) the same errors as unaryCall.
 */
export async function* serverStream<Req, Res>(
  method: ServerStreamMethod<Req, Res>,
  request: Req,
  params: CallParams = {},
): AsyncGenerator<Res, void, undefined> {
  const { signal } = params;
  signal?.throwIfAborted();
  const { metadata, options } = prepare(params);
  const call = method(request, metadata, options);
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call as AsyncIterable<Res>) yield message;
  } catch (err) {
    throw isServiceError(err) ? fromGrpcError(err) : err;
  } finally {
    signal?.removeEventListener('abort', cancel);
    call.cancel(); // no-op once the stream ended; stops the server when the consumer breaks early
  }
}

export type BidiStreamMethod<Req, Res> = (
  metadata?: Metadata,
  options?: Partial<CallOptions>,
) => ClientDuplexStream<Req, Res>;

/** A bidirectional stream: write requests, iterate responses, end or cancel. */
export interface BidiCall<Req, Res> {
  /** Resolves when the transport takes more (backpressure); rejects once the call is over. */
  write(request: Req): Promise<void>;
  /** Half-closes: no more requests. */
  end(): void;
  /** Ends the call (responses then stop with Cancelled). Idempotent. */
  cancel(): void;
  /** The responses; ends when the server ends the stream. @throws as unaryCall */
  responses: AsyncIterable<Res>;
}

/**
 * A bidirectional streaming call. Aborting `params.signal` cancels it.
 * ```ts
 * const call = bidiStream(client.dispatch.bind(client), { signal });
 * await call.write({ request: … });
 * for await (const event of call.responses) …
 * ```
 */
export function bidiStream<Req, Res>(
  method: BidiStreamMethod<Req, Res>,
  params: CallParams = {},
): BidiCall<Req, Res> {
  const { signal } = params;
  signal?.throwIfAborted();
  const { metadata, options } = prepare(params);
  const call = method(metadata, options);
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  async function* responses(): AsyncGenerator<Res, void, undefined> {
    try {
      for await (const message of call as AsyncIterable<Res>) yield message;
    } catch (err) {
      throw isServiceError(err) ? fromGrpcError(err) : err;
    } finally {
      signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }
  return {
    write: (request) =>
      new Promise<void>((resolve, reject) => {
        if (call.destroyed || call.writableEnded) {
          reject(new Error('the stream is closed'));
          return;
        }
        const flushed = call.write(request, (err?: Error | null) =>
          err ? reject(err) : undefined,
        );
        if (flushed) resolve();
        else call.once('drain', () => resolve());
      }),
    end: () => {
      if (!call.writableEnded) call.end();
    },
    cancel,
    responses: responses(),
  };
}
