import { request } from 'node:https';

/** How to reach one API server as admin: its URL and the PEM material of the admin kubeconfig. */
export interface KubeConnection {
  readonly server: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A non-2xx answer of the API server; `status` is the HTTP status (404, 409, …). */
export class KubeHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'KubeHttpError';
    this.status = status;
  }
}

/**
 * One JSON request to the API server with the admin client certificate. The harness needs only a
 * handful of calls (readyz, create nodes, list nodes); tests use @kubernetes/client-node or kubectl.
 */
export function kubeRequest(
  conn: KubeConnection,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = new URL(path, conn.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: conn.ca,
        cert: conn.cert,
        key: conn.key,
        agent: false,
        timeout: 10_000,
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            reject(new KubeHttpError(status, `${method} ${path}: HTTP ${status}: ${text}`));
            return;
          }
          try {
            resolve(text.startsWith('{') ? (JSON.parse(text) as unknown) : text);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
