import { createHash, createHmac } from 'node:crypto';

/** Keys that sign a URL; `sessionToken` for temporary credentials (STS). */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where an S3 object is addressed: `origin` + `path` (already RFC 3986 encoded). */
export interface ObjectAddress {
  /** `scheme://host[:port]`. */
  readonly origin: string;
  readonly host: string;
  readonly path: string;
}

/** The longest validity SigV4 allows a presigned URL (7 days), in seconds. */
export const MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600;

/**
 * The address of `bucket/key`: path style at `endpoint` (`http(s)://host[:port]`), or virtual-host
 * style (`<bucket>.<endpoint host>`) when `forcePathStyle` is false. Without an endpoint: AWS's
 * regional endpoint.
 * @throws Error for an endpoint that is not http(s)://host[:port] (a misconfiguration)
 */
export function objectAddress(opts: {
  endpoint: string | undefined;
  region: string;
  bucket: string;
  key: string;
  forcePathStyle: boolean;
}): ObjectAddress {
  const endpoint = new URL(opts.endpoint ?? `https://s3.${opts.region}.amazonaws.com`);
  if (
    (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') ||
    endpoint.pathname !== '/' ||
    endpoint.search !== ''
  )
    throw new Error(`S3 endpoint ${opts.endpoint} is not http(s)://host[:port]`);
  const key = opts.key.split('/').map(encodeRfc3986).join('/');
  if (opts.forcePathStyle) {
    const path = `/${encodeRfc3986(opts.bucket)}/${key}`;
    return { origin: endpoint.origin, host: endpoint.host, path };
  }
  const host = `${opts.bucket}.${endpoint.host}`;
  return { origin: `${endpoint.protocol}//${host}`, host, path: `/${key}` };
}

/**
 * A SigV4 query-signed URL (AWS "authenticating requests: query parameters") of `method` at
 * `address` with the extra `query` parameters (e.g. `partNumber`, `uploadId`), signed header
 * `host` only and payload `UNSIGNED-PAYLOAD`: whoever holds the URL may send that one request,
 * with any body, until it expires; it never learns the credentials. Pure (no I/O).
 */
export function presignS3Url(request: {
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  address: ObjectAddress;
  query?: Readonly<Record<string, string>>;
  credentials: SigningCredentials;
  region: string;
  nowMs: number;
  expiresInS: number;
}): string {
  const { address, credentials, region } = request;
  const amzDate = new Date(request.nowMs).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${region}/s3/aws4_request`;
  const expiresInS = Math.min(Math.max(1, Math.floor(request.expiresInS)), MAX_PRESIGN_EXPIRES_S);
  const params: Array<[string, string]> = [
    ...Object.entries(request.query ?? {}),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(expiresInS)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (credentials.sessionToken !== undefined)
    params.push(['X-Amz-Security-Token', credentials.sessionToken]);
  const query = params
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    address.path,
    query,
    `host:${address.host}\n`,
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  let signingKey: Buffer = Buffer.from(`AWS4${credentials.secretAccessKey}`, 'utf8');
  for (const part of [date, region, 's3', 'aws4_request'])
    signingKey = createHmac('sha256', signingKey).update(part, 'utf8').digest();
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return `${address.origin}${address.path}?${query}&X-Amz-Signature=${signature}`;
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-._~` as UTF-8 %XX. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
