import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Metadata, status as grpcStatus } from '@grpc/grpc-js';
import type { Deadline } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { Cancelled, DeadlineExceeded, isDomainError } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Authenticator, Subject } from './authenticator.ts';
import { authenticateCall } from './call-auth.ts';
import type { AuthMode, CallContext } from './handler-types.ts';
import type { InFlight } from './in-flight.ts';
import { startServerSpan } from './rpc-spans.ts';
import type { RpcStreaming } from './rpc-spans.ts';
import type { ServerMetrics } from './server-metrics.ts';
import { statusName, toGrpcStatus } from './status.ts';
import type { GrpcStatus } from './status.ts';

export interface CallRunnerDeps {
  /** The server's name (`scheduler`): the `lzy.service` attribute of its spans. */
  serverName: string;
  log: Logger;
  metrics: ServerMetrics;
  inFlight: InFlight;
  authenticator: Authenticator | undefined;
}

/** What the bootstrap knows about a method before any call. */
export interface MethodInfo {
  /** `ai.lzy.v1.iam.LzyAuthenticateService` */
  service: string;
  /** `Authenticate` */
  method: string;
  /** `ai.lzy.v1.iam.LzyAuthenticateService/Authenticate`, the `rpc` log field. */
  rpc: string;
  auth: AuthMode;
  streaming: RpcStreaming;
}

/** The parts of a grpc-js server call (any kind) the runner uses. */
export interface ServerCallLike {
  readonly metadata: Metadata;
  readonly cancelled: boolean;
  getDeadline(): Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

export type CallOutcome<T> =
  { ok: true; value: T; requestId: string } | { ok: false; status: GrpcStatus; requestId: string };

// An incoming x-request-id is adopted only if it looks like an id, so it is safe in logs.
const REQUEST_ID = /^[A-Za-z0-9._:/-]{1,128}$/;

export function firstValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

export function requestIdMetadata(requestId: string): Metadata {
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  return metadata;
}

function watchCancellation(call: ServerCallLike): {
  signal: AbortSignal;
  deadline?: Date;
  dispose: () => void;
} {
  const raw = call.getDeadline();
  const deadlineMs = raw instanceof Date ? raw.getTime() : raw;
  const controller = new AbortController();
  // grpc-js reports a passed deadline and a client cancel with the same 'cancelled' event; tell
  // them apart by the clock (its deadline timer may fire a hair before Date.now() catches up).
  const onCancelled = () =>
    controller.abort(
      Date.now() >= deadlineMs - 50
        ? new DeadlineExceeded('deadline exceeded')
        : new Cancelled('call cancelled (client went away or server stopped)'),
    );
  if (call.cancelled) onCancelled();
  else call.once('cancelled', onCancelled);
  return {
    signal: controller.signal,
    ...(Number.isFinite(deadlineMs) ? { deadline: new Date(deadlineMs) } : {}),
    dispose: () => call.off('cancelled', onCancelled),
  };
}

function logFailure(log: Logger, err: unknown, status: GrpcStatus, ms: number): void {
  const code = statusName(status.code);
  if (!isDomainError(err)) {
    log.error({ err, code, ms }, 'rpc failed with an internal error');
  } else if (err.code === 'CANCELLED' || err.code === 'DEADLINE_EXCEEDED') {
    log.debug({ code, ms }, 'rpc ended early');
  } else {
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    log.info({ code, ms, reason: err.message, cause }, 'rpc failed');
  }
}

/** Authenticates the call when its method requires it and assembles the handler's context. */
async function buildContext(
  deps: CallRunnerDeps,
  info: MethodInfo,
  call: ServerCallLike,
  base: Pick<CallContext, 'log' | 'requestId' | 'signal' | 'deadline'>,
): Promise<CallContext> {
  const authorization = firstValue(call.metadata, 'authorization');
  let subject: Subject | undefined;
  let log = base.log;
  if (info.auth === 'required') {
    if (deps.authenticator === undefined) {
      throw new Error(`${info.rpc} requires auth but the server has no authenticator`);
    }
    subject = await authenticateCall(deps.authenticator, authorization, base);
    log = log.child({ subject: subject.id });
  }
  return {
    ...base,
    log,
    subject,
    idempotencyKey: firstValue(call.metadata, 'idempotency-key'),
    authorization,
    metadata: call.metadata,
  };
}

/**
 * Runs one call the same way for every handler kind: trace span (child of the caller's
 * `traceparent`, active while the handler runs), request id, child logger, authentication,
 * context, status mapping, logs, metrics, in-flight tracking. Never rejects: failures come back
 * as `{ ok: false, status }` for the adapter to send.
 */
export function runCall<T>(
  deps: CallRunnerDeps,
  info: MethodInfo,
  call: ServerCallLike,
  invoke: (ctx: CallContext) => Promise<T>,
): Promise<CallOutcome<T>> {
  const span = startServerSpan(deps.serverName, info, call.metadata);
  return context.with(span.ctx, async () => {
    const outcome = await runInSpan(deps, info, call, invoke, span.traceId);
    span.end(outcome.ok ? grpcStatus.OK : outcome.status.code);
    return outcome;
  });
}

async function runInSpan<T>(
  deps: CallRunnerDeps,
  info: MethodInfo,
  call: ServerCallLike,
  invoke: (ctx: CallContext) => Promise<T>,
  traceId: string | undefined,
): Promise<CallOutcome<T>> {
  const startedAt = performance.now();
  const incomingId = firstValue(call.metadata, 'x-request-id');
  const requestId =
    incomingId !== undefined && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const endMetrics = deps.metrics.start(info.service, info.method);
  const leave = deps.inFlight.enter();
  const { signal, deadline, dispose } = watchCancellation(call);
  let log = deps.log.child(
    traceId === undefined
      ? { rid: requestId, rpc: info.rpc }
      : { rid: requestId, rpc: info.rpc, trace: traceId },
  );
  try {
    const ctx = await buildContext(deps, info, call, { log, requestId, signal, deadline });
    log = ctx.log;
    const value = await invoke(ctx);
    // The client has gone: whatever the handler produced, it never sees OK.
    signal.throwIfAborted();
    log.debug({ code: 'OK', ms: performance.now() - startedAt }, 'rpc done');
    endMetrics('OK');
    return { ok: true, value, requestId };
  } catch (thrown) {
    // After a cancel, handlers often fail with whatever their aborted I/O threw (AbortError…):
    // report the cancel itself rather than an internal error.
    const err: unknown = signal.aborted ? signal.reason : thrown;
    const status = toGrpcStatus(err, requestId);
    logFailure(log, err, status, performance.now() - startedAt);
    endMetrics(statusName(status.code));
    return { ok: false, status, requestId };
  } finally {
    dispose();
    leave();
  }
}
