import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsaKeyPair } from '@lzy/auth';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import { FailedPrecondition, InvalidArgument, PermissionDenied } from '@lzy/errors';
import { IamAuthenticator, createChannelClient, unaryCall } from '@lzy/grpc';
import { iam, iamVmOwner } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import type { RunningIam } from '../src/index.ts';
import type { IamClients } from './fixtures.ts';
import {
  bearer,
  createUser,
  iamClients,
  iamTemplate,
  internalToken,
  silentLog,
  startTestIam,
  userToken,
} from './fixtures.ts';

const pg = usePostgres({ template: iamTemplate });
let internal: RsaKeyPair;
let alice: RsaKeyPair;
let vmKey: RsaKeyPair;
let service: RunningIam;
let clients: IamClients;
let owners: iamVmOwner.VmOwnerServiceClient;
let internalAuth: iamVmOwner.InternalAuthenticateServiceClient;
let aliceSubject: iam.Subject;

beforeAll(async () => {
  [internal, alice, vmKey] = await Promise.all([
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
  ]);
  service = await startTestIam(pg.url, internal);
  clients = iamClients(service.port);
  const address = `127.0.0.1:${service.port}`;
  owners = createChannelClient(iamVmOwner.VmOwnerServiceClient, address, { retry: false });
  internalAuth = createChannelClient(iamVmOwner.InternalAuthenticateServiceClient, address, {
    retry: false,
  });
  aliceSubject = await createUser(clients, internal, 'alice', alice);
});

afterAll(async () => {
  clients?.close();
  owners?.close();
  internalAuth?.close();
  await service?.stop();
});

/** CreateSubject of a VM as the allocator does it: INTERNAL, login `vm-<vmId>`, one key. */
function createVm(vmId: string): Promise<iam.Subject> {
  return unaryCall(
    clients.subjects.createSubject.bind(clients.subjects),
    {
      authProvider: iam.AuthProvider.INTERNAL,
      providerSubjectId: `vm-${vmId}`,
      type: 'VM',
      credentials: [
        { name: 'main', credentials: vmKey.publicKeyPem, type: iam.Credentials_Type.PUBLIC_KEY },
      ],
    },
    bearer(internalToken(internal)),
  );
}

function setOwner(subjectId: string, ownerUserId: string, token = internalToken(internal)) {
  return unaryCall(owners.setVmOwner.bind(owners), { subjectId, ownerUserId }, bearer(token));
}

function vmToken(vmId: string): string {
  return signLzyJwt({
    issuer: `vm-${vmId}`,
    provider: 'INTERNAL',
    privateKeyPem: vmKey.privateKeyPem,
    nowMs: Date.now(),
  });
}

describe('VM owners', () => {
  it('answers the owner the allocator recorded with the VM subject, to every service authenticating it', async () => {
    const vm = await createVm('owned-1');
    await setOwner(vm.id, aliceSubject.id);
    await setOwner(vm.id, aliceSubject.id); // a retried allocation: idempotent

    const answer = await unaryCall(
      internalAuth.authenticate.bind(internalAuth),
      {},
      bearer(vmToken('owned-1')),
    );
    expect(answer).toEqual({ id: vm.id, type: 'VM', ownerUserId: aliceSubject.id });
    // What a service's auth interceptor makes of it: ctx.subject.ownerUserId.
    const authenticator = new IamAuthenticator({ client: internalAuth, clock: Date });
    const subject = await authenticator.authenticate(`Bearer ${vmToken('owned-1')}`, {
      requestId: 'r1',
      log: silentLog,
    });
    expect(subject).toEqual({ id: vm.id, type: 'VM', ownerUserId: aliceSubject.id });

    const user = await unaryCall(
      internalAuth.authenticate.bind(internalAuth),
      {},
      bearer(userToken('alice', alice)),
    );
    expect(user).toEqual({ id: aliceSubject.id, type: 'USER', ownerUserId: '' });
  });

  it('never moves a VM to another user, and gives no owner to a user subject', async () => {
    const vm = await createVm('owned-2');
    await setOwner(vm.id, aliceSubject.id);
    await expect(setOwner(vm.id, 'bob')).rejects.toBeInstanceOf(FailedPrecondition);
    await expect(setOwner(aliceSubject.id, 'bob')).rejects.toBeInstanceOf(InvalidArgument);
  });

  it('lets only the services record owners: a VM or a user cannot adopt one', async () => {
    const vm = await createVm('self-owned');
    await expect(setOwner(vm.id, aliceSubject.id, vmToken('self-owned'))).rejects.toBeInstanceOf(
      PermissionDenied,
    );
    await expect(
      setOwner(vm.id, aliceSubject.id, userToken('alice', alice)),
    ).rejects.toBeInstanceOf(PermissionDenied);
    const answer = await unaryCall(
      internalAuth.authenticate.bind(internalAuth),
      {},
      bearer(vmToken('self-owned')),
    );
    expect(answer.ownerUserId).toBe('');
  });
});
