import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsaKeyPair } from '@lzy/auth';
import { PermissionDenied } from '@lzy/errors';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import { iam, iamDirectory } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import type { RunningIam } from '../src/index.ts';
import type { IamClients } from './fixtures.ts';
import {
  bearer,
  createUser,
  iamClients,
  iamTemplate,
  internalToken,
  pkcs1KeyPair,
  startTestIam,
  userToken,
} from './fixtures.ts';

const pg = usePostgres({ template: iamTemplate });
let internal: RsaKeyPair;
let keys: RsaKeyPair;
let service: RunningIam;
let clients: IamClients;
let directory: iamDirectory.SubjectDirectoryServiceClient;
let alice: iam.Subject;

const ROOT: iam.Resource = { type: 'root', id: 'lzy.resource.root' };

beforeAll(async () => {
  [internal, keys] = await Promise.all([pkcs1KeyPair(), pkcs1KeyPair()]);
  service = await startTestIam(pg.url, internal);
  clients = iamClients(service.port);
  directory = createChannelClient(
    iamDirectory.SubjectDirectoryServiceClient,
    `127.0.0.1:${service.port}`,
    { retry: false },
  );
  alice = await createUser(clients, internal, 'dir-alice', keys);
  await createUser(clients, internal, 'dir-bob', keys);
});

afterAll(async () => {
  directory?.close();
  clients?.close();
  await service?.stop();
});

const addAdmin = (subject: iam.Subject, token: string) =>
  unaryCall(
    clients.bindings.updateAccessBindings.bind(clients.bindings),
    {
      resource: ROOT,
      deltas: [{ binding: { role: 'lzy.admin', subject }, action: iam.AccessBindingAction.ADD }],
    },
    bearer(token),
  );

describe('the lzy.admin role', () => {
  it('is granted on root by the internal identity and gives lzy.admin.view', async () => {
    await addAdmin(alice, internalToken(internal));
    const allowed = await unaryCall(
      clients.access.authorize.bind(clients.access),
      { subject: alice, permission: 'lzy.admin.view', resource: ROOT },
      bearer(internalToken(internal)),
    );
    expect(allowed.id).toBe(alice.id);
  });

  it('cannot be granted by an end user', async () => {
    await expect(addAdmin(alice, userToken('dir-alice', keys))).rejects.toBeInstanceOf(
      PermissionDenied,
    );
  });
});

describe('SubjectDirectoryService.ListUsers', () => {
  it('lists users by login with their key counts and root roles, in pages', async () => {
    const listed: iamDirectory.DirectoryUser[] = [];
    let pageToken = '';
    do {
      const page = await unaryCall(
        directory.listUsers.bind(directory),
        { pageSize: 1, pageToken },
        bearer(internalToken(internal)),
      );
      listed.push(...page.users);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    const mine = listed.filter((u) => u.login.startsWith('dir-'));
    expect(mine.map((u) => u.login)).toEqual(['dir-alice', 'dir-bob']);
    expect(mine[0]).toMatchObject({ id: alice.id, authProvider: 'GITHUB', publicKeyCount: 1 });
    expect(mine[0]?.rootRoles).toEqual(['lzy.admin']);
    expect(listed.some((u) => u.login === 'lzy-internal')).toBe(false);
  });

  it('refuses end users', async () => {
    await expect(
      unaryCall(
        directory.listUsers.bind(directory),
        { pageSize: 0, pageToken: '' },
        bearer(userToken('dir-alice', keys)),
      ),
    ).rejects.toBeInstanceOf(PermissionDenied);
  });
});
