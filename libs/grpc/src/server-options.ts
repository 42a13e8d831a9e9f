import type { ServerOptions } from '@grpc/grpc-js';

/**
 * grpc-js server options shared by every LZY server.
 *
 * pylzy pings every 1 s, also with no call in flight (public-api.md §5), and a server that answers
 * with GOAWAY too_many_pings kills its long ReadStdSlots stream. grpc-js 1.14.7 does not police
 * client pings at all (server.ts reads no ping-strike option and never sends ENHANCE_YOUR_CALM),
 * and node:http2 ACKs every PING. The C-core names of that policy are set anyway, to "permit
 * everything", so the intent survives a grpc-js that starts honouring them:
 * - grpc.http2.min_ping_interval_without_data_ms = 0, grpc.http2.max_ping_strikes = 0 (unlimited),
 * - grpc.keepalive_permit_without_calls = 1.
 * The server's own keepalive (grpc.keepalive_time_ms / _timeout_ms, both read by grpc-js) pings
 * every 30 s and drops a connection whose peer does not answer in 10 s, which ends streams of
 * clients that vanished without closing TCP.
 */
export function serverOptions(maxReceiveMessageBytes: number): ServerOptions {
  return {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 0,
    'grpc.http2.max_ping_strikes': 0,
    // ExecuteGraphRequest carries pickled functions and can exceed 4 MiB (public-api.md §5).
    'grpc.max_receive_message_length': maxReceiveMessageBytes,
  };
}
