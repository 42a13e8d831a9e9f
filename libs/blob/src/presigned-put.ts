import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Aborted, Unavailable } from '@lzy/errors';

/** Bytes read by position, like FileHandle.read: fills `buffer` from `position` of the source. */
export interface PositionalSource {
  readonly sizeBytes: number;
  /** Resolves with the bytes read (0 only past the end). */
  read(buffer: Buffer, position: number, length: number): Promise<number>;
}

/** Bytes per read and socket write; two buffers of it per upload in flight. */
const CHUNK_BYTES = 1024 * 1024;
/** A PUT whose connection moves no byte for this long is dropped (Unavailable: retry). */
const IDLE_TIMEOUT_MS = 120_000;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * HTTP PUTs of byte sources to presigned URLs (S3 UploadPart or PutObject signed by someone who
 * holds the credentials, see presignS3Url), over kept-alive connections. Memory per upload is
 * two 1 MiB buffers, reused: the next chunk is read while the previous one is being written.
 */
export class PresignedUploader {
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https = new HttpsAgent({ keepAlive: true });

  /**
   * PUTs `source` (exactly `source.sizeBytes` bytes) to `url`; resolves with the ETag answered.
   * @throws Unavailable if storage cannot be reached, stalls for 2 minutes or answers 5xx/429
   *   (retry later); Aborted for any other refusal (expired URL, bad signature: 4xx) or a source
   *   that ends early; the signal's reason on abort
   */
  async put(url: string, source: PositionalSource, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    const req = (isHttps ? httpsRequest : httpRequest)(target, {
      method: 'PUT',
      agent: isHttps ? this.#https : this.#http,
      headers: { 'content-length': String(source.sizeBytes) },
      signal,
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(
        new Unavailable(`storage at ${target.origin} moved no byte for ${IDLE_TIMEOUT_MS} ms`),
      ),
    );
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    const written = writeBody(req, source);
    // Either may settle first (storage can refuse before the body is complete): both surface
    // below, from whichever await comes first, never as an unhandled rejection.
    answered.catch(() => undefined);
    written.catch(() => undefined);
    try {
      await Promise.race([written, answered]);
      return etagOf(await answered, target);
    } catch (err) {
      req.destroy();
      signal.throwIfAborted();
      throw toUploadError(err, target);
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** Writes the source through two alternating buffers; a buffer is refilled once it is flushed. */
async function writeBody(req: ClientRequest, source: PositionalSource): Promise<void> {
  const buffers = [CHUNK_BYTES, CHUNK_BYTES].map((n) =>
    Buffer.allocUnsafe(Math.min(n, source.sizeBytes)),
  );
  const flushed: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  let position = 0;
  for (let turn = 0; position < source.sizeBytes; turn ^= 1) {
    const buffer = buffers[turn] as Buffer;
    await flushed[turn];
    const length = Math.min(buffer.length, source.sizeBytes - position);
    const bytesRead = await readFully(source, buffer, position, length);
    flushed[turn] = new Promise<void>((resolve, reject) =>
      req.write(buffer.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())),
    );
    flushed[turn]?.catch(() => undefined); // a write error also fails the request (answered)
    position += bytesRead;
  }
  await Promise.all(flushed);
  await new Promise<void>((resolve) => req.end(resolve));
}

async function readFully(
  source: PositionalSource,
  buffer: Buffer,
  position: number,
  length: number,
): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const n = await source.read(
      buffer.subarray(filled, length),
      position + filled,
      length - filled,
    );
    if (n === 0)
      throw new Aborted(`the source ended at ${position + filled} of ${source.sizeBytes} bytes`);
    filled += n;
  }
  return filled;
}

async function etagOf(res: IncomingMessage, target: URL): Promise<string> {
  const status = res.statusCode ?? 0;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const etag = res.headers.etag;
  if (status >= 200 && status < 300 && etag !== undefined) return etag;
  const code = /<Code>([^<]*)<\/Code>/.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '';
  const what = `storage answered ${status} ${code} to a PUT of ${target.origin}${target.pathname}`;
  if (status >= 500 || status === 429) throw new Unavailable(`${what}; retry later`);
  throw new Aborted(status >= 200 && status < 300 ? `${what} without an ETag` : what);
}

function toUploadError(err: unknown, target: URL): unknown {
  if (err instanceof Aborted || err instanceof Unavailable) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (NETWORK_CODES.has(code))
    return new Unavailable(`cannot reach storage at ${target.origin} (${code}); retry later`, {
      cause: err,
    });
  return err;
}
