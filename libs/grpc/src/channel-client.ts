import { InterceptingCall, Metadata, credentials, status } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { ClientMetrics } from './client-metrics.ts';
import { tracingInterceptor } from './rpc-spans.ts';
import { ensureContextPropagation } from './trace-context.ts';
import type {
  ChannelCredentials,
  ChannelOptions,
  Client,
  ClientOptions,
  Interceptor,
} from '@grpc/grpc-js';

/** Retry of calls that fail with UNAVAILABLE (gRFC A6 retry policy, applied by grpc-js). */
export interface RetryPolicy {
  /** Total attempts including the first, ≥ 2 (grpc-js caps it at 5 unless told otherwise). */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface ChannelClientOptions {
  /**
   * Returns the bearer token (a JWT, without "Bearer ") for calls that carry no `authorization`
   * yet; a call that already has one (e.g. forwarding a user's header to IAM) keeps it.
   */
  callCredentials?: () => Promise<string>;
  /** Deadline for calls that set none. Default: none (some internal calls legitimately take minutes). */
  deadlineMs?: number;
  /** Default: 3 attempts, 0.5 s → 2 s, as the Java ChannelBuilder (reference-lzy-internals §0.2). `false`: no retries. */
  retry?: RetryPolicy | false;
  /**
   * HTTP/2 receive window (bytes) of the connection and of each stream, for clients of bulk
   * server streams (SlotsService.ReadSlot). grpc-js's default of 64 KiB lets a sender put only
   * 64 KiB on the wire per round trip: 1 MiB messages then crawl (the portal's S3 copy ran at
   * ~50 MiB/s through it). Bytes the application has not consumed yet stay buffered up to this
   * size per connection, so memory stays bounded. Default: grpc-js's (64 KiB).
   */
  flowControlWindowBytes?: number;
  /** Extra grpc-js channel options (tests). */
  channelOptions?: ChannelOptions;
  /**
   * Count every call in this registry (`lzy_grpc_client_calls_total`): pass the service's own,
   * the one its gRPC server exposes on /metrics. Default: not counted.
   */
  metricsRegistry?: Registry;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, initialBackoffMs: 500, maxBackoffMs: 2_000 };

export type ClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => C;

/**
 * Creates a grpc-js client (e.g. `iam.LzySubjectServiceClient` from @lzy/proto) for an internal,
 * plaintext `host:port`, with keepalive, a default deadline, bearer credentials, retries, and
 * tracing: a CLIENT span per call whose W3C `traceparent` rides in the call's metadata.
 *
 * Retries re-send a call that ended with UNAVAILABLE before any response header arrived (grpc-js
 * implements gRFC A6: exponential backoff with ±20 % jitter, within the call's deadline). That is
 * only safe because our internal RPCs are idempotent (idempotency keys or natural idempotency);
 * do not enable it for a client of a non-idempotent API. CANCELLED is not retried: it is usually
 * our own cancellation.
 */
export function createChannelClient<C extends Client>(
  ClientCtor: ClientConstructor<C>,
  address: string,
  options: ChannelClientOptions = {},
): C {
  ensureContextPropagation();
  // First: it must run synchronously in the caller's async context (its trace).
  const metrics = options.metricsRegistry && new ClientMetrics(options.metricsRegistry);
  const interceptors: Interceptor[] = [tracingInterceptor(metrics)];
  if (options.deadlineMs !== undefined) interceptors.push(defaultDeadline(options.deadlineMs));
  if (options.callCredentials !== undefined)
    interceptors.push(bearerCredentials(options.callCredentials));
  const retry = options.retry ?? DEFAULT_RETRY;
  return new ClientCtor(address, credentials.createInsecure(), {
    // Java internal channels used 3 min / 10 s; a shorter ping finds a dead peer (pod gone without
    // FIN) sooner. Our servers accept pings of any frequency (server-options.ts).
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    ...(retry === false
      ? { 'grpc.enable_retries': 0 }
      : { 'grpc.service_config': retryServiceConfig(retry) }),
    ...(options.flowControlWindowBytes === undefined
      ? {}
      : { 'grpc-node.flow_control_window': options.flowControlWindowBytes }),
    ...options.channelOptions,
    interceptors,
  });
}

function retryServiceConfig(retry: RetryPolicy): string {
  return JSON.stringify({
    methodConfig: [
      {
        name: [{}], // every method of every service on the channel
        retryPolicy: {
          maxAttempts: retry.maxAttempts,
          initialBackoff: `${retry.initialBackoffMs / 1000}s`,
          maxBackoff: `${retry.maxBackoffMs / 1000}s`,
          backoffMultiplier: 2,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ],
  });
}

function defaultDeadline(deadlineMs: number): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(
      nextCall(
        options.deadline === undefined
          ? { ...options, deadline: Date.now() + deadlineMs }
          : options,
      ),
    );
}

function bearerCredentials(getToken: () => Promise<string>): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get('authorization').length > 0) {
          next(metadata, listener);
          return;
        }
        getToken().then(
          (token) => {
            metadata.set('authorization', `Bearer ${token}`);
            next(metadata, listener);
          },
          (err: unknown) => {
            const reason = err instanceof Error ? err.message : String(err);
            listener.onReceiveStatus({
              code: status.UNAUTHENTICATED,
              details: `cannot obtain call credentials: ${reason}`,
              metadata: new Metadata(),
            });
          },
        );
      },
    });
}
