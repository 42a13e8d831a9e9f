import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsaKeyPair } from '@lzy/auth';
import { PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { iam } from '@lzy/proto';
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
let alice: iam.Subject;
let bob: iam.Subject;

beforeAll(async () => {
  [internal, keys] = await Promise.all([pkcs1KeyPair(), pkcs1KeyPair()]);
  service = await startTestIam(pg.url, internal);
  clients = iamClients(service.port);
  alice = await createUser(clients, internal, 'alice', keys);
  bob = await createUser(clients, internal, 'bob', keys);
});

afterAll(async () => {
  clients?.close();
  await service?.stop();
});

const asInternal = () => bearer(internalToken(internal));
const workflow = (userId: string, name: string): iam.Resource => ({
  type: 'workflow',
  id: `${userId}/${name}`,
});
const whiteboard = (id: string): iam.Resource => ({ type: 'whiteboard', id });

function authorize(subject: iam.Subject, permission: string, resource: iam.Resource) {
  return unaryCall(
    clients.access.authorize.bind(clients.access),
    { subject, permission, resource },
    asInternal(),
  );
}

async function isAllowed(subject: iam.Subject, permission: string, resource: iam.Resource) {
  try {
    await authorize(subject, permission, resource);
    return true;
  } catch (err) {
    if (err instanceof PermissionDenied) return false;
    throw err;
  }
}

function setBindings(resource: iam.Resource, bindings: iam.AccessBinding[], as = asInternal()) {
  return unaryCall(
    clients.bindings.setAccessBindings.bind(clients.bindings),
    { resource, bindings },
    as,
  );
}

async function listBindings(resource: iam.Resource) {
  const { bindings } = await unaryCall(
    clients.bindings.listAccessBindings.bind(clients.bindings),
    { resource },
    asInternal(),
  );
  return bindings.map((b) => `${b.role}:${b.subject?.id}`);
}

describe('Authorize', () => {
  it("lets a workflow owner run its own workflow but not another user's", async () => {
    await setBindings(workflow(alice.id, 'wf'), [{ role: 'lzy.workflow.owner', subject: alice }]);
    await setBindings(workflow(bob.id, 'wf'), [{ role: 'lzy.workflow.owner', subject: bob }]);
    expect(await authorize(alice, 'lzy.workflow.run', workflow(alice.id, 'wf'))).toEqual(alice);
    expect(await isAllowed(alice, 'lzy.workflow.run', workflow(bob.id, 'wf'))).toBe(false);
  });

  it('lets a whiteboard reader get but not update', async () => {
    await setBindings(whiteboard('wb-1'), [{ role: 'lzy.whiteboard.reader', subject: bob }]);
    expect(await isAllowed(bob, 'lzy.whiteboard.get', whiteboard('wb-1'))).toBe(true);
    expect(await isAllowed(bob, 'lzy.whiteboard.update', whiteboard('wb-1'))).toBe(false);
  });

  it('gives the internal identity every permission through its role on root', async () => {
    const self = { id: 'lzy-internal', type: 'USER' };
    expect(await isAllowed(self, 'lzy.whiteboard.delete', whiteboard('anything'))).toBe(true);
    expect(
      await isAllowed(self, 'lzy.internal.authorize', { type: 'root', id: 'lzy.resource.root' }),
    ).toBe(true);
  });

  it('refuses an end user calling Authorize with PERMISSION_DENIED', async () => {
    await expect(
      unaryCall(
        clients.access.authorize.bind(clients.access),
        { subject: alice, permission: 'lzy.workflow.get', resource: workflow(alice.id, 'wf') },
        bearer(userToken('alice', keys)),
      ),
    ).rejects.toBeInstanceOf(PermissionDenied);
  });
});

describe('access bindings', () => {
  it('SetAccessBindings replaces the bindings of the resource', async () => {
    const resource = whiteboard('wb-replace');
    await setBindings(resource, [
      { role: 'lzy.whiteboard.owner', subject: alice },
      { role: 'lzy.whiteboard.reader', subject: bob },
    ]);
    await setBindings(resource, [{ role: 'lzy.whiteboard.owner', subject: bob }]);
    expect(await listBindings(resource)).toEqual([`lzy.whiteboard.owner:${bob.id}`]);
    expect(await isAllowed(alice, 'lzy.whiteboard.get', resource)).toBe(false);
  });

  it('UpdateAccessBindings adds and removes single bindings', async () => {
    const resource = whiteboard('wb-update');
    await setBindings(resource, [{ role: 'lzy.whiteboard.owner', subject: alice }]);
    await unaryCall(
      clients.bindings.updateAccessBindings.bind(clients.bindings),
      {
        resource,
        deltas: [
          {
            action: iam.AccessBindingAction.ADD,
            binding: { role: 'lzy.whiteboard.reader', subject: bob },
          },
          {
            action: iam.AccessBindingAction.REMOVE,
            binding: { role: 'lzy.whiteboard.owner', subject: alice },
          },
        ],
      },
      asInternal(),
    );
    expect(await listBindings(resource)).toEqual([`lzy.whiteboard.reader:${bob.id}`]);
  });

  it('lets a whiteboard owner share it, but not grant internal roles', async () => {
    const resource = whiteboard('wb-shared');
    await setBindings(resource, [{ role: 'lzy.whiteboard.owner', subject: alice }]);
    const asAlice = bearer(userToken('alice', keys));
    await setBindings(
      resource,
      [
        { role: 'lzy.whiteboard.owner', subject: alice },
        { role: 'lzy.whiteboard.reader', subject: bob },
      ],
      asAlice,
    );
    expect(await isAllowed(bob, 'lzy.whiteboard.get', resource)).toBe(true);
    await expect(
      setBindings(
        resource,
        [{ role: 'lzy.internal.worker', subject: bob }],
        bearer(userToken('alice', keys)),
      ),
    ).rejects.toBeInstanceOf(PermissionDenied);
    await expect(setBindings(resource, [], bearer(userToken('bob', keys)))).rejects.toBeInstanceOf(
      PermissionDenied,
    );
  });
});
