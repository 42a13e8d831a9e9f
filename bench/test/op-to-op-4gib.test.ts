import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair } from '@lzy/auth';
import { ensureLocalUser, startSuiteProcesses, testSuiteInfra } from '@lzy/local-suite';
import { workflow } from '@lzy/sdk';
import type { ClientConfig } from '@lzy/sdk';
import { CleanupStack, s3Client, s3Config } from '@lzy/testing';
import { digestStreamOnOtherVm, numberedChunk, produceNumberedStream } from '../src/ops.ts';
import { sampleVmMemory } from '../src/process-stats.ts';
import type { VmProcessGrowth } from '../src/process-stats.ts';

const MiB = 1024 * 1024;
const SIZE_BYTES = 4096 * MiB;
/** Far below the data (6 %), far above what lazily collected 1 MiB buffers keep alive. */
const MAX_GROWTH_BYTES = 256 * MiB;

/** sha256 of produceNumberedStream(sizeBytes), computed here. */
function expectedSha256(sizeBytes: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i * MiB < sizeBytes; i++)
    hash.update(numberedChunk(i, Math.min(MiB, sizeBytes - i * MiB)));
  return hash.digest('hex');
}

/**
 * sha256 of the stream value of `sizeBytes` stored in any bucket of the run's S3 server: the
 * SDK stores a stream as one tag byte, then its bytes.
 */
async function storedSha256(client: S3Client, sizeBytes: number): Promise<string> {
  const { Buckets } = await client.send(new ListBucketsCommand({}));
  for (const { Name } of Buckets ?? []) {
    const { Contents } = await client.send(new ListObjectsV2Command({ Bucket: Name }));
    const object = Contents?.find((o) => o.Size === sizeBytes + 1);
    if (object === undefined) continue;
    const { Body } = await client.send(
      new GetObjectCommand({ Bucket: Name, Key: object.Key, Range: 'bytes=1-' }),
    );
    const hash = createHash('sha256');
    for await (const piece of Body as AsyncIterable<Buffer>) hash.update(piece);
    return hash.digest('hex');
  }
  throw new Error(`no object of ${sizeBytes} bytes in S3`);
}

/**
 * 4 GiB from an op on one worker VM to an op on another, through the local suite run as separate
 * processes (workers, their op hosts and the portal as the allocator's children) and versitygw:
 * the consumer reads the producer over ReadSlot while the producer's worker uploads the same
 * bytes to S3 with part URLs the portal presigns; the graph completes once that copy is stored.
 */
describe('op → op of 4 GiB through worker and portal processes', () => {
  const cleanup = new CleanupStack();
  let config: ClientConfig;

  beforeAll(async () => {
    const infra = await testSuiteInfra(cleanup, { prefix: 'bench_4gib' });
    const suite = await startSuiteProcesses(infra);
    cleanup.push(suite);
    const userKeys = await generateRsaKeyPair();
    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
      login: 'alice',
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
    const dir = await mkdtemp(join(tmpdir(), 'lzy-4gib-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    const keyPath = join(dir, 'user.pem');
    await writeFile(keyPath, userKeys.privateKeyPem, { mode: 0o600 });
    config = {
      endpoint: suite.addresses['lzy-service'],
      whiteboardEndpoint: suite.addresses.whiteboard,
      user: 'alice',
      keyPath,
    };
  });
  afterAll(() => cleanup.close());

  it('gives the consumer and S3 every byte while no VM process grows by more than 256 MiB', async () => {
    let result: { length: number; sha256: string } | undefined;
    let grown: VmProcessGrowth[] = [];
    await workflow(
      'op-to-op-4gib',
      async () => {
        // Both workers and the portal are up and warm before memory is watched.
        await digestStreamOnOtherVm(produceNumberedStream(1));
        const sampler = sampleVmMemory();
        try {
          result = await digestStreamOnOtherVm(produceNumberedStream(SIZE_BYTES));
        } finally {
          grown = await sampler.stop();
        }
      },
      { config, std: { stdout: () => undefined, stderr: () => undefined } },
    );
    const sha256 = expectedSha256(SIZE_BYTES);
    expect(result).toEqual({ length: SIZE_BYTES, sha256 });
    const client = s3Client(s3Config());
    try {
      expect(await storedSha256(client, SIZE_BYTES)).toBe(sha256);
    } finally {
      client.destroy();
    }
    expect(grown.map((p) => p.kind)).toEqual(
      expect.arrayContaining(['op-host', 'portal', 'worker']),
    );
    expect(grown.filter((p) => p.growthBytes >= MAX_GROWTH_BYTES)).toEqual([]);
  }, 1_200_000);
});
