import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { checkGraphStorage, checkUserStorage } from './storage-scope.ts';
import type { StorageConfig } from './ports.ts';

const s3 = (uri: string, accessToken = 'AK', secretToken = 'SK'): StorageConfig => ({
  uri,
  credentials: { $case: 's3', value: { endpoint: '', accessToken, secretToken } },
});

function graphWith(inputs: string[], outputs: string[], described: string[] = []) {
  const slot = (storageUri: string, i: number) => ({ path: `/c/s${i}`, storageUri });
  const op: lzyWorkflow.Operation = {
    name: 'f',
    description: '',
    command: 'true',
    inputSlots: inputs.map(slot),
    outputSlots: outputs.map(slot),
    dockerImage: '',
    env: undefined,
    poolSpecName: 's',
  };
  return {
    name: '',
    parentGraphId: '',
    zone: '',
    operations: [op],
    dataDescriptions: described.map((storageUri) => ({ storageUri, dataScheme: undefined })),
  };
}

describe('checkGraphStorage', () => {
  const internal = s3('s3://tmp-bucket-alice');
  const prefixed = s3('s3://mine/team/p/');

  it("accepts URIs anywhere in the user's bucket, or under the prefix of their storage", () => {
    const ok = graphWith(
      ['s3://tmp-bucket-alice/lzy_runs/wf/e/data/a'],
      ['s3://tmp-bucket-alice//x'],
    );
    expect(() => checkGraphStorage(ok, internal)).not.toThrow();
    const mine = graphWith(['s3://mine/team/p/in'], ['s3://mine/team/p/lzy_runs/x']);
    expect(() => checkGraphStorage(mine, prefixed)).not.toThrow();
  });

  it('refuses another bucket, a sibling prefix or the prefix itself, naming the URI', () => {
    for (const [uri, storage] of [
      ['s3://tmp-bucket-bob/lzy_runs/x', internal],
      ['s3://mine/team/p2/x', prefixed],
      ['s3://mine/team/x', prefixed],
      ['s3://mine/team/p', prefixed],
      ['azure://tmp-bucket-alice/x', internal],
    ] as const) {
      const check = () => checkGraphStorage(graphWith([], [uri]), storage);
      expect(check).toThrow(PermissionDenied);
      expect(check).toThrow(uri);
    }
    const described = graphWith([], [], ['s3://tmp-bucket-bob/x']);
    expect(() => checkGraphStorage(described, internal)).toThrow(/dataDescriptions\[0\]/);
    const input = graphWith(['s3://tmp-bucket-bob/secret'], ['s3://tmp-bucket-alice/out']);
    expect(() => checkGraphStorage(input, internal)).toThrow(/inputSlots\[0\].*tmp-bucket-bob/);
  });

  it('refuses malformed URIs and ".." segments with INVALID_ARGUMENT', () => {
    for (const uri of [
      'http://tmp-bucket-alice/x',
      's3://',
      's3://Upper/x',
      's3://tmp-bucket-alice/a/../../tmp-bucket-bob/x',
      's3:/tmp-bucket-alice/x',
    ]) {
      expect(() => checkGraphStorage(graphWith([], [uri]), internal)).toThrow(InvalidArgument);
    }
    expect(() => checkGraphStorage(graphWith([], ['s3://tmp-bucket-alice']), internal)).toThrow(
      PermissionDenied,
    );
  });
});

describe('checkUserStorage', () => {
  it('accepts an S3 storage with a complete key, and Azure with a connection string', () => {
    expect(() => checkUserStorage(s3('s3://mine/prefix'))).not.toThrow();
    expect(() =>
      checkUserStorage({
        uri: 'azure://container/p',
        credentials: { $case: 'azure', value: { connectionString: 'AccountName=a;…' } },
      }),
    ).not.toThrow();
  });

  it('refuses missing or empty keys: the portal would use its own credentials', () => {
    expect(() => checkUserStorage({ uri: 's3://mine', credentials: undefined })).toThrow(
      'Credentials are not set',
    );
    expect(() => checkUserStorage(s3('s3://mine', '', ''))).toThrow(
      /accessToken and a secretToken/,
    );
    expect(() => checkUserStorage(s3('azure://mine'))).toThrow(/non-s3/);
    expect(() => checkUserStorage(s3('s3://x'))).toThrow(/valid bucket/);
  });
});
