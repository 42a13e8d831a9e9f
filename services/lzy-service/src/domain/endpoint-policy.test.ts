import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { EndpointPolicy } from './endpoint-policy.ts';

/** A resolver over a fixed table: no network in unit tests. */
const dns: Record<string, string[]> = {
  's3.example.com': ['93.184.216.34'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.5'],
  'metadata.example.com': ['169.254.169.254'],
  'v6.example.com': ['2606:4700::1111'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'minio.tenant.svc': ['10.20.3.4'],
};
const resolveHost = (host: string) => {
  const found = dns[host];
  return found === undefined ? Promise.reject(new Error('ENOTFOUND')) : Promise.resolve(found);
};

const policy = new EndpointPolicy({
  resolveHost,
  trustedEndpoints: ['http://127.0.0.1:9000'],
  allowedNetworks: [],
});

describe('EndpointPolicy', () => {
  it('allows AWS (empty), public names and addresses, and the installation itself', async () => {
    await expect(policy.check('')).resolves.toEqual({ portalEndpoint: '' });
    await expect(policy.check('https://s3.example.com')).resolves.toEqual({
      portalEndpoint: 'https://s3.example.com',
    });
    await expect(policy.check('http://93.184.216.34:9000')).resolves.toEqual({
      portalEndpoint: 'http://93.184.216.34:9000',
    });
    await expect(policy.check('http://127.0.0.1:9000/')).resolves.toEqual({
      portalEndpoint: 'http://127.0.0.1:9000/',
    });
  });

  it('pins a plain-http name to the address it checked, so a second DNS answer cannot move it', async () => {
    await expect(policy.check('http://s3.example.com:9000')).resolves.toEqual({
      portalEndpoint: 'http://93.184.216.34:9000',
    });
    await expect(policy.check('http://v6.example.com')).resolves.toEqual({
      portalEndpoint: 'http://[2606:4700::1111]',
    });
  });

  it.each([
    'http://127.0.0.1:8899',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:8080',
    'http://[fd00:ec2::254]',
    'http://10.1.2.3',
    'http://172.20.0.1',
    'http://192.168.1.1',
    'http://100.100.100.200',
    'http://0.0.0.0:8899',
    'http://metadata.example.com',
    'http://rebind.example.com',
    'http://mapped.example.com',
    'http://[::ffff:10.0.0.1]',
  ])('refuses %s', async (endpoint) => {
    await expect(policy.check(endpoint)).rejects.toThrow(PermissionDenied);
  });

  it('refuses what is not a plain http(s) URL, or a name that does not resolve', async () => {
    for (const endpoint of [
      'http://nowhere.invalid',
      'file:///etc/passwd',
      'gopher://s3.example.com',
      'http://user:pw@s3.example.com',
      'http://s3.example.com/?x=1',
      'not a url',
    ]) {
      await expect(policy.check(endpoint)).rejects.toThrow(InvalidArgument);
    }
  });

  it('lets the operator open a private network (an in-cluster MinIO)', async () => {
    const open = new EndpointPolicy({
      resolveHost,
      trustedEndpoints: [],
      allowedNetworks: ['10.20.0.0/16'],
    });
    await expect(open.check('http://minio.tenant.svc:9000')).resolves.toEqual({
      portalEndpoint: 'http://10.20.3.4:9000',
    });
    await expect(open.check('http://10.0.0.5')).rejects.toThrow(PermissionDenied);
  });
});
