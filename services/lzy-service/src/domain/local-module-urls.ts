import type { lzyWorkflow } from '@lzy/proto';
import type { StorageConfig } from './ports.ts';
import { presignSigV4Get, verifySigV2Get } from './s3-presign.ts';
import type { S3Access } from './s3-presign.ts';

/** pylzy signs every S3 request for region us-east-1 (python-client-protocol §3.2). */
const CLIENT_REGION = 'us-east-1';

/** The bucket of `s3://bucket[/prefix]`; undefined for another scheme. */
function bucketOf(uri: string): string | undefined {
  return /^s3:\/\/([^/]+)/.exec(uri)?.[1];
}

/**
 * pylzy presigns local-module URLs with signature version 2 (query `AWSAccessKeyId`,
 * `Signature`, `Expires`; §3.2, §4.5), which S3 servers such as versitygw (and AWS for newer
 * buckets) refuse. Every such URL of an operation that is a valid, unexpired SigV2 GET of an
 * object in the execution's own storage (its endpoint and bucket, signed with its key) is
 * replaced by a SigV4 presigned GET of the same object, expiring at the same time (at most the
 * 7 days SigV4 allows). Anything else is left as it is: the worker's download then fails as it
 * would have. Pure: the same graph, storage and `nowMs` give the same result.
 */
export function withSigV4LocalModules(
  graph: lzyWorkflow.Graph,
  storage: StorageConfig,
  nowMs: number,
): lzyWorkflow.Graph {
  const bucket = bucketOf(storage.uri);
  if (storage.credentials?.$case !== 's3' || bucket === undefined) return graph;
  const { endpoint, accessToken, secretToken } = storage.credentials.value;
  const access: S3Access = { endpoint, accessKeyId: accessToken, secretAccessKey: secretToken };
  const rewrite = (url: string): string => {
    const grant = verifySigV2Get(url, access, bucket, nowMs);
    if (grant === undefined) return url;
    return presignSigV4Get({
      access,
      region: CLIENT_REGION,
      bucket: grant.bucket,
      key: grant.key,
      nowMs,
      expiresInS: Math.floor((grant.expiresAtMs - nowMs) / 1000),
    });
  };
  return {
    ...graph,
    operations: graph.operations.map((op) => {
      if (op.env?.$case !== 'python') return op;
      const python = op.env.value;
      const localModules = python.localModules.map((m) => ({ ...m, url: rewrite(m.url) }));
      return { ...op, env: { $case: 'python', value: { ...python, localModules } } };
    }),
  };
}
