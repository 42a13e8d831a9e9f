import { createHmac, randomUUID } from 'node:crypto';
import type { lzyWorkflow } from '@lzy/proto';
import { s3Config, testBucket } from '@lzy/testing';
import { describe, expect, it } from 'vitest';
import { withSigV4LocalModules } from '../src/domain/local-module-urls.ts';
import { presignSigV4 } from '../src/domain/s3-presign.ts';

/** pylzy's local-module URL: botocore SigV2 query auth, path-style (§3.2, §4.5). */
function sigV2Get(endpoint: string, path: string, accessKeyId: string, secret: string): string {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const signature = createHmac('sha1', secret)
    .update(`GET\n\n\n${expires}\n${path}`)
    .digest('base64');
  const query = `AWSAccessKeyId=${accessKeyId}&Signature=${encodeURIComponent(signature)}&Expires=${expires}`;
  return `${endpoint}${path}?${query}`;
}

function graphWith(url: string): lzyWorkflow.Graph {
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
        env: {
          $case: 'python',
          value: { yaml: '', localModules: [{ name: '/home/me/m.py', url }] },
        },
        poolSpecName: 's',
      },
    ],
  };
}

describe('local-module URLs on a real S3 server', () => {
  it("turns pylzy's SigV2 presigned GET into a SigV4 one the S3 server serves", async () => {
    const s3 = s3Config();
    const bucket = await testBucket();
    const path = `/${bucket}/lzy_local_modules/m.py/${randomUUID()}`;
    const endpoint = new URL(s3.endpoint);
    const access = {
      endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    };
    const put = presignSigV4({
      method: 'PUT',
      origin: endpoint.origin,
      host: endpoint.host,
      path,
      access,
      region: s3.region,
      nowMs: Date.now(),
      expiresInS: 60,
    });
    expect((await fetch(put, { method: 'PUT', body: 'zip bytes' })).status).toBe(200);

    const sigV2 = sigV2Get(endpoint.origin, path, s3.accessKeyId, s3.secretAccessKey);
    const storage = {
      uri: `s3://${bucket}`,
      credentials: {
        $case: 's3' as const,
        value: {
          endpoint: s3.endpoint,
          accessToken: s3.accessKeyId,
          secretToken: s3.secretAccessKey,
        },
      },
    };
    const rewritten = withSigV4LocalModules(graphWith(sigV2), storage, Date.now());
    const env = rewritten.operations[0]?.env;
    const url = env?.$case === 'python' ? (env.value.localModules[0]?.url ?? '') : '';
    expect(url).toContain('X-Amz-Signature=');
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('zip bytes');
  });
});
