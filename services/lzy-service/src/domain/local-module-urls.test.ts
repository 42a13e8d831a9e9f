import { createHmac } from 'node:crypto';
import type { lzyWorkflow } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { withSigV4LocalModules } from './local-module-urls.ts';

const storage = {
  uri: 's3://tmp-bucket-alice',
  credentials: {
    $case: 's3' as const,
    value: { endpoint: 'http://127.0.0.1:9000', accessToken: 'AK', secretToken: 'SK' },
  },
};
const nowMs = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A SigV2 query-auth GET as botocore builds it (path-style). */
function sigV2(key: string, expiresS: number, secret = 'SK', bucket = 'tmp-bucket-alice'): string {
  const resource = `/${bucket}/${key}`;
  const signature = createHmac('sha1', secret)
    .update(`GET\n\n\n${expiresS}\n${resource}`)
    .digest('base64');
  return `http://127.0.0.1:9000${resource}?AWSAccessKeyId=AK&Signature=${encodeURIComponent(signature)}&Expires=${expiresS}`;
}

function graphWith(urls: string[], withPython = true): lzyWorkflow.Graph {
  return {
    name: '',
    parentGraphId: '',
    zone: '',
    dataDescriptions: [],
    operations: [
      {
        name: 'f',
        description: '',
        command: 'run',
        inputSlots: [],
        outputSlots: [],
        dockerImage: '',
        env: withPython
          ? {
              $case: 'python',
              value: {
                yaml: 'name: default',
                localModules: urls.map((url, i) => ({ name: `/home/me/m${i}`, url })),
              },
            }
          : undefined,
        poolSpecName: 's',
      },
    ],
  };
}

const urlsOf = (graph: lzyWorkflow.Graph) =>
  graph.operations.flatMap((op) =>
    op.env?.$case === 'python' ? op.env.value.localModules.map((m) => m.url) : [],
  );

describe('withSigV4LocalModules', () => {
  it('re-signs a SigV2 URL of the own storage as SigV4 of the same object and expiry', () => {
    const expiresS = nowMs / 1000 + 3000;
    const [url] = urlsOf(
      withSigV4LocalModules(
        graphWith([sigV2('lzy_local_modules/lzy/ab12', expiresS)]),
        storage,
        nowMs,
      ),
    );
    const parsed = new URL(url ?? '');
    expect(`${parsed.origin}${parsed.pathname}`).toBe(
      'http://127.0.0.1:9000/tmp-bucket-alice/lzy_local_modules/lzy/ab12',
    );
    expect(parsed.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(parsed.searchParams.get('X-Amz-Credential')).toBe(
      'AK/20260101/us-east-1/s3/aws4_request',
    );
    expect(parsed.searchParams.get('X-Amz-Date')).toBe('20260101T120000Z');
    expect(parsed.searchParams.get('X-Amz-Expires')).toBe('3000');
    expect(parsed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves expired, foreign, badly signed and non-SigV2 URLs untouched', () => {
    const later = nowMs / 1000 + 3600;
    const untouched = [
      sigV2('k', nowMs / 1000 - 1),
      sigV2('k', later, 'another secret'),
      sigV2('k', later, 'SK', 'tmp-bucket-bob'),
      'https://example.com/module.zip',
      'http://127.0.0.1:9000/tmp-bucket-alice/k?X-Amz-Signature=abc',
    ];
    expect(urlsOf(withSigV4LocalModules(graphWith(untouched), storage, nowMs))).toEqual(untouched);
  });

  it('leaves the graph alone without S3 credentials or a Python environment', () => {
    const graph = graphWith([sigV2('k', nowMs / 1000 + 60)]);
    expect(withSigV4LocalModules(graph, { ...storage, credentials: undefined }, nowMs)).toBe(graph);
    const plain = graphWith([], false);
    expect(withSigV4LocalModules(plain, storage, nowMs)).toEqual(plain);
  });
});
