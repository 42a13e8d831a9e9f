import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EventStream {
  /** Aborted when the browser goes away or the site stops. */
  signal: AbortSignal;
  send(event: string, data: unknown): void;
  close(): void;
}

const KEEPALIVE_MS = 15_000;

/**
 * Server-Sent Events on a response: `event: <name>` + one JSON `data:` line per message. A
 * comment line every 15 s keeps idle connections through proxies; it carries no data, so nothing
 * polls. The browser's EventSource reconnects by itself and the page then reloads its snapshot.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  stopping: AbortSignal,
): EventStream {
  const abort = new AbortController();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const close = () => {
    if (abort.signal.aborted) return;
    clearInterval(keepalive);
    abort.abort();
    res.end();
  };
  req.on('close', close);
  stopping.addEventListener('abort', close, { once: true });
  return {
    signal: abort.signal,
    send: (event, data) => {
      if (!abort.signal.aborted) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close,
  };
}
