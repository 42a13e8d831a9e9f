import { createHash, createHmac } from 'node:crypto';

/*
 * SigV4 presigned GET URLs with no S3 client dependency (the workers download op module bundles
 * with plain fetch). services/lzy-service/src/domain/s3-presign.ts signs the same way for
 * pylzy's local modules; TODO(#15): one copy in a shared lib.
 */

/** The longest validity SigV4 allows a presigned URL (7 days), in seconds. */
const MAX_EXPIRES_S = 7 * 24 * 3600;

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-._~` as UTF-8 %XX. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * A SigV4 query-signed GET of `<endpoint>/<bucket>/<key>` (path-style, `UNSIGNED-PAYLOAD`,
 * signed header `host`), valid `expiresInS` seconds (1 … 7 days) from `nowMs`.
 * @throws Error when `endpoint` is not `http(s)://host[:port]`.
 */
export function presignS3Get(request: {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  key: string;
  nowMs: number;
  expiresInS: number;
}): string {
  const url = new URL(request.endpoint);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/') {
    throw new Error(`S3 endpoint ${request.endpoint} is not http(s)://host[:port]`);
  }
  const path = `/${encodeRfc3986(request.bucket)}/${request.key.split('/').map(encodeRfc3986).join('/')}`;
  const amzDate = new Date(request.nowMs).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${request.region}/s3/aws4_request`;
  const expiresInS = Math.min(Math.max(1, Math.floor(request.expiresInS)), MAX_EXPIRES_S);
  const query = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${request.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(expiresInS)],
    ['X-Amz-SignedHeaders', 'host'],
  ]
    .map(([k = '', v = '']) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
    .join('&');
  const canonical = ['GET', path, query, `host:${url.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join(
    '\n',
  );
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical, 'utf8').digest('hex'),
  ].join('\n');
  let key: Buffer = Buffer.from(`AWS4${request.secretAccessKey}`, 'utf8');
  for (const part of [date, request.region, 's3', 'aws4_request']) {
    key = createHmac('sha256', key).update(part, 'utf8').digest();
  }
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return `${url.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}
