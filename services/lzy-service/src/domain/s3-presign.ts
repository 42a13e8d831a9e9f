import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Presigned S3 GET URLs, both signature versions, with no S3 client: verifying pylzy's
 * SigV2 ("s3") query-auth URLs and issuing SigV4 ones (python-client-protocol §3.2, §4.5).
 */

/** An S3 key pair and the endpoint it is used at (`http://host:port`, scheme included). */
export interface S3Access {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The object a verified SigV2 URL grants a GET of, and until when (ms since the epoch). */
export interface SigV2Grant {
  bucket: string;
  key: string;
  expiresAtMs: number;
}

/** The longest validity SigV4 allows a presigned URL (7 days), in seconds. */
export const SIGV4_MAX_EXPIRES_S = 7 * 24 * 3600;

const SIGV2_PARAMS = ['AWSAccessKeyId', 'Expires', 'Signature'];

/**
 * Checks that `url` is a SigV2 query-auth presigned GET (query exactly `AWSAccessKeyId`,
 * `Signature`, `Expires`) signed with `access` for an object of `bucket` at `access.endpoint`
 * (path-style `<endpoint>/<bucket>/<key>` or virtual-host `<bucket>.<endpoint host>/<key>`),
 * not expired at `nowMs`. botocore's string to sign (HmacV1QueryAuth) is
 * `GET\n\n\n<Expires>\n/<bucket>/<key as in the URL>`, HMAC-SHA1, base64.
 * Returns undefined for any URL that does not pass.
 */
export function verifySigV2Get(
  url: string,
  access: S3Access,
  bucket: string,
  nowMs: number,
): SigV2Grant | undefined {
  const match = /^(https?):\/\/([^/?#]+)(\/[^?#]*)\?([^#]*)$/.exec(url);
  const endpoint = parseEndpoint(access.endpoint);
  if (match === null || endpoint === undefined) return undefined;
  const [, scheme = '', host = '', rawPath = '', query = ''] = match;
  if (`${scheme}:` !== endpoint.protocol) return undefined;
  let resource: string;
  if (host === endpoint.host && rawPath.startsWith(`/${bucket}/`)) resource = rawPath;
  else if (host === `${bucket}.${endpoint.host}`) resource = `/${bucket}${rawPath}`;
  else return undefined;
  const params = queryParams(query);
  if (params === undefined || [...params.keys()].sort().join() !== SIGV2_PARAMS.join()) {
    return undefined;
  }
  const expires = params.get('Expires') ?? '';
  const signature = Buffer.from(params.get('Signature') ?? '', 'base64');
  if (params.get('AWSAccessKeyId') !== access.accessKeyId || !/^\d{1,12}$/.test(expires)) {
    return undefined;
  }
  const expected = createHmac('sha1', access.secretAccessKey)
    .update(`GET\n\n\n${expires}\n${resource}`, 'utf8')
    .digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    return undefined;
  }
  const expiresAtMs = Number(expires) * 1000;
  if (expiresAtMs <= nowMs) return undefined;
  const key = decodePath(resource.slice(bucket.length + 2));
  if (key === undefined || key === '') return undefined;
  return { bucket, key, expiresAtMs };
}

/**
 * A SigV4 presigned GET (query auth, `UNSIGNED-PAYLOAD`, signed header `host`) of
 * `<endpoint>/<bucket>/<key>` (path-style), valid `expiresInS` seconds from `nowMs`
 * (1 … SIGV4_MAX_EXPIRES_S).
 */
export function presignSigV4Get(request: {
  access: S3Access;
  region: string;
  bucket: string;
  key: string;
  nowMs: number;
  expiresInS: number;
}): string {
  const endpoint = parseEndpoint(request.access.endpoint);
  if (endpoint === undefined) {
    throw new Error(`S3 endpoint ${request.access.endpoint} is not http(s)://host[:port]`);
  }
  const path = `/${encodeRfc3986(request.bucket)}/${encodeKey(request.key)}`;
  return presignSigV4({ origin: endpoint.origin, host: endpoint.host, path, ...request });
}

/**
 * SigV4 query signing of a request (default GET) of `<origin><path>` with header `host` (`path`
 * already encoded, used verbatim as the canonical URI: S3 does not normalise it).
 */
export function presignSigV4(request: {
  method?: string;
  origin: string;
  host: string;
  path: string;
  access: S3Access;
  region: string;
  nowMs: number;
  expiresInS: number;
}): string {
  const { access, region, path } = request;
  const amzDate = new Date(request.nowMs).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${region}/s3/aws4_request`;
  const expiresInS = Math.min(Math.max(1, Math.floor(request.expiresInS)), SIGV4_MAX_EXPIRES_S);
  const query = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${access.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(expiresInS)],
    ['X-Amz-SignedHeaders', 'host'],
  ]
    .map(([k = '', v = '']) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
    .join('&');
  const canonicalRequest = [
    request.method ?? 'GET',
    path,
    query,
    `host:${request.host}\n`,
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  let signingKey: Buffer = Buffer.from(`AWS4${access.secretAccessKey}`, 'utf8');
  for (const part of [date, region, 's3', 'aws4_request']) {
    signingKey = createHmac('sha256', signingKey).update(part, 'utf8').digest();
  }
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return `${request.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-._~` as UTF-8 %XX. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** An object key in a path: each segment RFC 3986 encoded, `/` kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

function parseEndpoint(endpoint: string): URL | undefined {
  try {
    const url = new URL(endpoint);
    const plain = url.pathname === '/' && url.search === '' && url.username === '';
    return plain && (url.protocol === 'http:' || url.protocol === 'https:') ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `a=b&c=d` → map of decoded names and values; undefined for a repeated or malformed name. */
function queryParams(query: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = decodePath(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodePath(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === undefined || value === undefined || params.has(name)) return undefined;
    params.set(name, value);
  }
  return params;
}

function decodePath(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
