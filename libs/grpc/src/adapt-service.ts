import { once } from 'node:events';
import type {
  MethodDefinition,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedHandleCall,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import type { Writable } from 'node:stream';
import { InvalidArgument } from '@lzy/errors';
import { authModeOf } from './handler-types.ts';
import type {
  BidiStreamHandler,
  CallContext,
  ClientStreamHandler,
  Send,
  ServerStreamHandler,
  ServiceRegistration,
  UnaryHandler,
} from './handler-types.ts';
import { requestIdMetadata, runCall } from './call-runner.ts';
import { splitRpcPath, streamingOf } from './rpc-spans.ts';
import type { CallOutcome, CallRunnerDeps, MethodInfo } from './call-runner.ts';

type Method = MethodDefinition<unknown, unknown>;
type Handler = ServiceRegistration['handlers'][string];
type StreamCall = (ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) &
  Writable;

/** What the bootstrap knows about a method from its definition. */
export function methodInfo(method: Method, auth: MethodInfo['auth']): MethodInfo {
  return { ...splitRpcPath(method.path), auth, streaming: streamingOf(method) };
}

/** Service name (`ai.lzy.v1.iam.LzyAuthenticateService`) of a definition, for health. */
export function serviceNameOf(registration: ServiceRegistration): string | undefined {
  const first = Object.values(registration.definition)[0];
  return first === undefined ? undefined : splitRpcPath(first.path).service;
}

/** A request whose bytes did not decode as the method's message. */
class UndecodableRequest {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

/**
 * The definition with request decoding that never throws: grpc-js answers a request it cannot
 * decode with INTERNAL "Error deserializing request" before any handler runs, so a malformed
 * message (truncated, wrong wire type) looked like a server fault. The handler wrapper turns the
 * marker into INVALID_ARGUMENT instead, after authentication.
 */
export function tolerantDefinition(
  definition: ServiceRegistration['definition'],
): ServiceRegistration['definition'] {
  return Object.fromEntries(
    Object.entries(definition).map(([key, method]) => {
      const decode = (method as Method).requestDeserialize;
      const requestDeserialize = (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (err) {
          return new UndecodableRequest(err);
        }
      };
      return [key, { ...method, requestDeserialize }];
    }),
  );
}

/** @throws InvalidArgument for a request tolerantDefinition could not decode. */
function decoded(request: unknown, info: MethodInfo): unknown {
  if (request instanceof UndecodableRequest) {
    throw new InvalidArgument(`the request is not a valid ${info.method} request message`, {
      cause: request.cause,
    });
  }
  return request;
}

async function* decodedStream(requests: AsyncIterable<unknown>, info: MethodInfo) {
  for await (const request of requests) yield decoded(request, info);
}

/** Builds the grpc-js implementation object of a registration, every method wrapped by runCall. */
export function adaptService(
  registration: ServiceRegistration,
  deps: CallRunnerDeps,
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(registration.definition)) {
    const handler = registration.handlers[key];
    if (handler === undefined) throw new Error(`no handler for ${method.path}`);
    if (handler === 'unimplemented') continue; // grpc-js answers UNIMPLEMENTED
    const info = methodInfo(method as Method, authModeOf(registration.auth, key));
    implementation[key] = adaptMethod(method as Method, handler, info, deps);
  }
  return implementation;
}

function adaptMethod(
  method: Method,
  handler: Exclude<Handler, 'unimplemented'>,
  info: MethodInfo,
  deps: CallRunnerDeps,
): UntypedHandleCall {
  const logBug = (err: unknown) =>
    deps.log.error({ err, rpc: info.rpc }, 'failed to send an rpc result');
  if (method.requestStream) {
    if (method.responseStream) {
      const bidi = handler as BidiStreamHandler<unknown, unknown>;
      return (call: ServerDuplexStream<unknown, unknown>) => {
        const requests = decodedStream(call as AsyncIterable<unknown>, info);
        runCall(deps, info, call, (ctx) => bidi(requests, ctx, makeSend(call, ctx)))
          .then((o) => endStream(call, o))
          .catch(logBug);
      };
    }
    const clientStream = handler as ClientStreamHandler<unknown, unknown>;
    return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const requests = decodedStream(call as AsyncIterable<unknown>, info);
      runCall(deps, info, call, (ctx) => clientStream(requests, ctx))
        .then((o) => answer(call, callback, o))
        .catch(logBug);
    };
  }
  if (method.responseStream) {
    const serverStream = handler as ServerStreamHandler<unknown, unknown>;
    return (call: ServerWritableStream<unknown, unknown>) => {
      runCall(deps, info, call, (ctx) =>
        serverStream(decoded(call.request, info), ctx, makeSend(call, ctx)),
      )
        .then((o) => endStream(call, o))
        .catch(logBug);
    };
  }
  const unary = handler as UnaryHandler<unknown, unknown>;
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    runCall(deps, info, call, (ctx) => unary(decoded(call.request, info), ctx))
      .then((o) => answer(call, callback, o))
      .catch(logBug);
  };
}

// Errors go out as trailers only (no response headers), which keeps them retryable by a client's
// gRPC retry policy (gRFC A6 commits a call once headers arrive).
function answer(
  call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
  callback: sendUnaryData<unknown>,
  outcome: CallOutcome<unknown>,
): void {
  const metadata = requestIdMetadata(outcome.requestId);
  if (outcome.ok) {
    call.sendMetadata(metadata);
    callback(null, outcome.value);
  } else {
    callback({ ...outcome.status, metadata });
  }
}

function endStream(call: StreamCall, outcome: CallOutcome<unknown>): void {
  const metadata = requestIdMetadata(outcome.requestId);
  if (outcome.ok) call.end(metadata);
  else call.emit('error', { ...outcome.status, metadata });
}

function makeSend(call: StreamCall, ctx: CallContext): Send<unknown> {
  let headersSent = false;
  return async (message) => {
    ctx.signal.throwIfAborted();
    if (!headersSent) {
      headersSent = true;
      call.sendMetadata(requestIdMetadata(ctx.requestId));
    }
    if (call.write(message)) return;
    try {
      await once(call, 'drain', { signal: ctx.signal });
    } catch (err) {
      ctx.signal.throwIfAborted();
      throw err;
    }
  };
}
