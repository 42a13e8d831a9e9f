import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { usePostgres } from '@lzy/testing';
import {
  bearer,
  iamClients,
  iamTemplate,
  internalToken,
  pkcs1KeyPair,
  startTestIam,
} from './fixtures.ts';

const pg = usePostgres({ template: iamTemplate });

describe('internal identity bootstrap', () => {
  it('replaces the internal key when iam restarts with another one', async () => {
    const [oldKeys, newKeys] = await Promise.all([pkcs1KeyPair(), pkcs1KeyPair()]);
    await (await startTestIam(pg.url, oldKeys)).stop();
    const service = await startTestIam(pg.url, newKeys);
    const clients = iamClients(service.port);
    try {
      const authenticate = (token: string) =>
        unaryCall(clients.auth.authenticate.bind(clients.auth), {}, bearer(token));
      expect(await authenticate(internalToken(newKeys))).toEqual({
        id: 'lzy-internal',
        type: 'USER',
      });
      await expect(authenticate(internalToken(oldKeys))).rejects.toBeInstanceOf(PermissionDenied);
    } finally {
      clients.close();
      await service.stop();
    }
  });
});
