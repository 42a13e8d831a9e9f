import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unavailable } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { checkHealth, freePort } from '@lzy/testing';
import { loadIamConfig, startIam } from '../src/index.ts';
import type { RunningIam } from '../src/index.ts';
import { bearer, iamClients, internalToken, pkcs1KeyPair, silentLog } from './fixtures.ts';
import type { IamClients } from './fixtures.ts';

let service: RunningIam;
let clients: IamClients;

beforeAll(async () => {
  const deadPort = await freePort();
  const config = loadIamConfig({
    LZY_PORT: '0',
    LZY_DB_URL: `postgres://postgres@127.0.0.1:${deadPort}/lzy_iam`,
    LZY_LOG_LEVEL: 'silent',
  });
  service = await startIam(config, { log: silentLog });
  clients = iamClients(service.port);
});

afterAll(async () => {
  clients?.close();
  await service?.stop();
});

describe('iam started while its database is unreachable', () => {
  it('serves health with its own services NOT_SERVING', async () => {
    const address = `127.0.0.1:${service.port}`;
    expect(await checkHealth(address)).toBe('SERVING');
    expect(await checkHealth(address, 'ai.lzy.v1.iam.LzyAuthenticateService')).toBe('NOT_SERVING');
    expect(await checkHealth(address, 'ai.lzy.v1.iam.LzySubjectService')).toBe('NOT_SERVING');
  });

  it('answers calls with UNAVAILABLE so callers retry', async () => {
    const keys = await pkcs1KeyPair();
    await expect(
      unaryCall(clients.auth.authenticate.bind(clients.auth), {}, bearer(internalToken(keys))),
    ).rejects.toBeInstanceOf(Unavailable);
  });
});
