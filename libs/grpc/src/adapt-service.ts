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
        const requests = call as AsyncIterable<unknown>;
        runCall(deps, info, call, (ctx) => bidi(requests, ctx, makeSend(call, ctx)))
          .then((o) => endStream(call, o))
          .catch(logBug);
      };
    }
    const clientStream = handler as ClientStreamHandler<unknown, unknown>;
    return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const requests = call as AsyncIterable<unknown>;
      runCall(deps, info, call, (ctx) => clientStream(requests, ctx))
        .then((o) => answer(call, callback, o))
        .catch(logBug);
    };
  }
  if (method.responseStream) {
    const serverStream = handler as ServerStreamHandler<unknown, unknown>;
    return (call: ServerWritableStream<unknown, unknown>) => {
      runCall(deps, info, call, (ctx) => serverStream(call.request, ctx, makeSend(call, ctx)))
        .then((o) => endStream(call, o))
        .catch(logBug);
    };
  }
  const unary = handler as UnaryHandler<unknown, unknown>;
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    runCall(deps, info, call, (ctx) => unary(call.request, ctx))
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
