import { describe, expect, it } from 'vitest';
import { objectAddress, presignS3Url } from './s3-presign.ts';

// AWS's worked example of a presigned GET ("Authenticating Requests: Using Query Parameters
// (AWS Signature Version 4)", Amazon S3 API reference).
const AWS_EXAMPLE = {
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  region: 'us-east-1',
  nowMs: Date.UTC(2013, 4, 24, 0, 0, 0),
  expiresInS: 86400,
};

describe('presignS3Url', () => {
  it('reproduces the signature of AWS’s documented example', () => {
    const address = objectAddress({
      endpoint: 'https://s3.amazonaws.com',
      region: 'us-east-1',
      bucket: 'examplebucket',
      key: 'test.txt',
      forcePathStyle: false,
    });
    const url = presignS3Url({ method: 'GET', address, ...AWS_EXAMPLE });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('signs extra query parameters in sorted order, with a session token', () => {
    const address = objectAddress({
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      bucket: 'b',
      key: 'dir/a b+c',
      forcePathStyle: true,
    });
    const url = new URL(
      presignS3Url({
        method: 'PUT',
        address,
        query: { uploadId: 'u/1', partNumber: '7' },
        ...AWS_EXAMPLE,
        credentials: { ...AWS_EXAMPLE.credentials, sessionToken: 'tok' },
      }),
    );
    expect(url.origin).toBe('http://127.0.0.1:9000');
    expect(url.pathname).toBe('/b/dir/a%20b%2Bc');
    expect([...url.searchParams.keys()]).toEqual([
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-Security-Token',
      'X-Amz-SignedHeaders',
      'partNumber',
      'uploadId',
      'X-Amz-Signature',
    ]);
    expect(url.searchParams.get('uploadId')).toBe('u/1');
  });

  it('caps the validity at the 7 days SigV4 allows', () => {
    const address = objectAddress({
      endpoint: undefined,
      region: 'eu-west-1',
      bucket: 'b',
      key: 'k',
      forcePathStyle: true,
    });
    const url = new URL(
      presignS3Url({ method: 'GET', address, ...AWS_EXAMPLE, expiresInS: 30 * 24 * 3600 }),
    );
    expect(url.origin).toBe('https://s3.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(7 * 24 * 3600));
  });
});
