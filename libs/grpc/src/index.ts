/**
 * @lzy/grpc — everything between grpc-js and a service's handlers.
 *
 * Server: `startGrpcServer({ services: [implement(XService, handlers)], authenticator, … })`
 * wraps every handler (request id, auth, context, status mapping, logs, metrics), serves
 * grpc.health.v1 and /metrics, and drains on stop(). Errors: handlers throw @lzy/errors;
 * `toGrpcStatus` is the one table to the wire. Clients: `createChannelClient` + `unaryCall` /
 * `serverStream`, errors converted back with `fromGrpcError`. Process: `runMain` for main.ts.
 */
export {
  toGrpcStatus,
  fromGrpcError,
  GrpcCallError,
  isServiceError,
  statusName,
} from './status.ts';
export type { GrpcStatus } from './status.ts';
export { implement } from './handler-types.ts';
export type {
  AuthMode,
  AuthPolicy,
  BidiStreamHandler,
  CallContext,
  ClientStreamHandler,
  HandlerFor,
  RequestOf,
  ResponseOf,
  Send,
  ServerStreamHandler,
  ServiceHandlers,
  ServiceRegistration,
  UnaryHandler,
} from './handler-types.ts';
export { startGrpcServer } from './start-grpc-server.ts';
export type { GrpcServer, GrpcServerOptions } from './start-grpc-server.ts';
export type { HealthControl } from './health-service.ts';
export { ReadinessGate } from './readiness-gate.ts';
export type { ReadinessGateOptions } from './readiness-gate.ts';
export type { Authenticator, Clock, Subject, SubjectType } from './authenticator.ts';
export { LocalAuthenticator } from './local-authenticator.ts';
export type { LocalAuthenticatorDeps, SubjectKeys } from './local-authenticator.ts';
export { IamAuthenticator } from './iam-authenticator.ts';
export type { AuthenticateClient, IamAuthenticatorDeps } from './iam-authenticator.ts';
export { createChannelClient } from './channel-client.ts';
export type { ChannelClientOptions, ClientConstructor, RetryPolicy } from './channel-client.ts';
export { bidiStream, unaryCall, serverStream } from './client-calls.ts';
export type {
  BidiCall,
  BidiStreamMethod,
  CallParams,
  ServerStreamMethod,
  UnaryMethod,
} from './client-calls.ts';
export { rejectNulCharacters } from './request-text.ts';
export { runMain } from './run-main.ts';
export type { RunMainOptions, StartedService } from './run-main.ts';
export {
  INTERNAL_SUBJECT_ID,
  internalCallCredentials,
  requireServiceCaller,
  requireServiceOrVmCaller,
  requireServiceOrVmOf,
} from './internal-identity.ts';
export type { InternalCallCredentialsOptions, ServiceOrVmCaller } from './internal-identity.ts';
export { startTracing } from './tracing.ts';
export type { Tracing } from './tracing.ts';
export {
  contextFromTraceFields,
  ensureContextPropagation,
  traceContextFields,
} from './trace-context.ts';
export type { TraceContextFields } from './trace-context.ts';
export { TRACER_NAME } from './rpc-spans.ts';
export type { SpanLine } from './json-lines-span-exporter.ts';
/**
 * prom-client's Registry: a service makes one and hands it to startGrpcServer, createDatabase
 * and createChannelClient, so its /metrics shows RPCs served and made and statements run.
 */
export { Registry as MetricsRegistry } from 'prom-client';
export { WorkSpan, untraced } from './work-span.ts';
export type { WorkSpanOptions } from './work-span.ts';
