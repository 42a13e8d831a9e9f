import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_PRESIGN_EXPIRES_S, objectAddress, presignS3Url } from '@lzy/blob';

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
export const SIGV4_MAX_EXPIRES_S = MAX_PRESIGN_EXPIRES_S;

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
  const { access, region, bucket, key } = request;
  if (parseEndpoint(access.endpoint) === undefined) {
    throw new Error(`S3 endpoint ${access.endpoint} is not http(s)://host[:port]`);
  }
  const address = objectAddress({
    endpoint: access.endpoint,
    region,
    bucket,
    key,
    forcePathStyle: true,
  });
  return presignSigV4({ ...address, ...request });
}

/**
 * SigV4 query signing of a request (default GET) of `<origin><path>` with header `host` (`path`
 * already encoded, used verbatim as the canonical URI: S3 does not normalise it). The signing is
 * @lzy/blob's `presignS3Url`.
 */
export function presignSigV4(request: {
  method?: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  origin: string;
  host: string;
  path: string;
  access: S3Access;
  region: string;
  nowMs: number;
  expiresInS: number;
}): string {
  const { origin, host, path, access } = request;
  return presignS3Url({
    method: request.method ?? 'GET',
    address: { origin, host, path },
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
    region: request.region,
    nowMs: request.nowMs,
    expiresInS: request.expiresInS,
  });
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
