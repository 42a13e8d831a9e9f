import { describe, expect, it } from 'vitest';
import {
  SIGV4_MAX_EXPIRES_S,
  presignSigV4,
  presignSigV4Get,
  verifySigV2Get,
} from './s3-presign.ts';

/*
 * SigV2 URLs below were made by botocore 1.44.8 (`signature_version="s3"`, the signer pylzy's
 * botocore 1.27 also uses) with time.time() = 1700000000 and ExpiresIn=3600:
 *   boto3.client("s3", endpoint_url=E, aws_access_key_id="AKIDEXAMPLE",
 *     aws_secret_access_key="secret/EXAMPLE+key", region_name="us-east-1",
 *     config=Config(signature_version="s3", s3={"addressing_style": STYLE}))
 *   .generate_presigned_url("get_object", Params={"Bucket": "tmp-bucket-alice", "Key": K})
 */
const access = {
  endpoint: 'http://127.0.0.1:9000',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret/EXAMPLE+key',
};
const bucket = 'tmp-bucket-alice';
const signedAtMs = 1_700_000_000_000;
const expiresAtMs = 1_700_003_600_000;

const pathStyle =
  'http://127.0.0.1:9000/tmp-bucket-alice/lzy_local_modules/lzy/0123abcd?AWSAccessKeyId=AKIDEXAMPLE&Signature=%2BgWaxwD41bSOQhFdPPpCX8s2iMA%3D&Expires=1700003600';
const oddKey =
  'http://127.0.0.1:9000/tmp-bucket-alice/dir/a%20b%2Bc~%C3%A9%25.zip?AWSAccessKeyId=AKIDEXAMPLE&Signature=JbjPxcG9E8Y%2Fw%2Fd6C01QWsMRItI%3D&Expires=1700003600';
const virtualHost =
  'http://tmp-bucket-alice.s3.example.com:9000/lzy_local_modules/lzy/0123abcd?AWSAccessKeyId=AKIDEXAMPLE&Signature=%2BgWaxwD41bSOQhFdPPpCX8s2iMA%3D&Expires=1700003600';

describe('verifySigV2Get', () => {
  it("accepts botocore's path-style URL and names the object and its expiry", () => {
    expect(verifySigV2Get(pathStyle, access, bucket, signedAtMs)).toEqual({
      bucket,
      key: 'lzy_local_modules/lzy/0123abcd',
      expiresAtMs,
    });
  });

  it('signs the key as it appears in the URL (percent-encoded) and decodes it', () => {
    expect(verifySigV2Get(oddKey, access, bucket, signedAtMs)?.key).toBe('dir/a b+c~é%.zip');
  });

  it('accepts a virtual-host URL (the resource is still /<bucket>/<key>)', () => {
    const endpoint = { ...access, endpoint: 'http://s3.example.com:9000' };
    expect(verifySigV2Get(virtualHost, endpoint, bucket, signedAtMs)?.key).toBe(
      'lzy_local_modules/lzy/0123abcd',
    );
  });

  it('refuses an expired URL', () => {
    expect(verifySigV2Get(pathStyle, access, bucket, expiresAtMs)).toBeUndefined();
  });

  it('refuses a wrong secret, a forged expiry, another key id, bucket or endpoint', () => {
    const at = signedAtMs;
    expect(verifySigV2Get(pathStyle, { ...access, secretAccessKey: 'x' }, bucket, at)).toBe(
      undefined,
    );
    expect(
      verifySigV2Get(
        pathStyle.replace('Expires=1700003600', 'Expires=1800003600'),
        access,
        bucket,
        at,
      ),
    ).toBeUndefined();
    expect(verifySigV2Get(pathStyle, { ...access, accessKeyId: 'OTHER' }, bucket, at)).toBe(
      undefined,
    );
    expect(verifySigV2Get(pathStyle, access, 'tmp-bucket-bob', at)).toBeUndefined();
    expect(
      verifySigV2Get(pathStyle, { ...access, endpoint: 'http://127.0.0.1:9001' }, bucket, at),
    ).toBeUndefined();
    expect(
      verifySigV2Get(pathStyle, { ...access, endpoint: 'https://127.0.0.1:9000' }, bucket, at),
    ).toBeUndefined();
  });

  it('refuses a changed object path, extra query parameters and non-SigV2 URLs', () => {
    const at = signedAtMs;
    expect(verifySigV2Get(pathStyle.replace('0123abcd', '0123abce'), access, bucket, at)).toBe(
      undefined,
    );
    expect(verifySigV2Get(`${pathStyle}&versionId=1`, access, bucket, at)).toBeUndefined();
    expect(verifySigV2Get(pathStyle.split('?')[0] ?? '', access, bucket, at)).toBeUndefined();
    expect(verifySigV2Get('not a url', access, bucket, at)).toBeUndefined();
  });
});

describe('presignSigV4', () => {
  it('matches the AWS documentation example of a presigned GET', () => {
    // docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    const url = presignSigV4({
      origin: 'https://examplebucket.s3.amazonaws.com',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      access: {
        endpoint: 'https://s3.amazonaws.com',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      region: 'us-east-1',
      nowMs: Date.UTC(2013, 4, 24),
      expiresInS: 86_400,
    });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('addresses the object path-style at the endpoint, the key RFC 3986 encoded', () => {
    const url = new URL(
      presignSigV4Get({
        access,
        region: 'us-east-1',
        bucket,
        key: "dir/a b+c~é%(x)!*'.zip",
        nowMs: signedAtMs,
        expiresInS: 10 * SIGV4_MAX_EXPIRES_S,
      }),
    );
    expect(url.origin).toBe('http://127.0.0.1:9000');
    expect(url.pathname).toBe('/tmp-bucket-alice/dir/a%20b%2Bc~%C3%A9%25%28x%29%21%2A%27.zip');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(SIGV4_MAX_EXPIRES_S));
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIDEXAMPLE/20231114/us-east-1/s3/aws4_request',
    );
  });
});
