import { Metadata } from '@grpc/grpc-js';
import type { CallOptions, ServiceError } from '@grpc/grpc-js';
import { createLogger } from '@lzy/logging';
import type { Logger } from '@lzy/logging';
import type { EchoClient, EchoReply, EchoRequest } from './echo-service.ts';

export const silentLog: Logger = createLogger({ service: 'test', level: 'silent' });

export interface RawResult {
  error: ServiceError | null;
  response: EchoReply | undefined;
  /** Response headers (initial metadata), if the server sent any. */
  headers: Metadata | undefined;
}

/** One raw unary Echo call, capturing what the wire carried. */
export function rawEcho(
  client: EchoClient,
  request: EchoRequest,
  metadata: Record<string, string> = {},
  options: Partial<CallOptions> = {},
): Promise<RawResult> {
  const md = new Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const call = client.echo(request, md, options, (error, response) =>
      resolve({ error, response, headers }),
    );
    call.on('metadata', (received: Metadata) => (headers = received));
  });
}

/** A promise with its resolve function, to hold a handler until the test releases it. */
export function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/** Resolves when `signal` aborts (handlers that wait for their call to end). */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}
