import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsaKeyPair } from '@lzy/auth';
import { AlreadyExists, InvalidArgument, NotFound, PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { iam } from '@lzy/proto';
import type { iamSubjectService } from '@lzy/proto';
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
let alice: RsaKeyPair;
let service: RunningIam;
let clients: IamClients;

beforeAll(async () => {
  [internal, alice] = await Promise.all([pkcs1KeyPair(), pkcs1KeyPair()]);
  service = await startTestIam(pg.url, internal);
  clients = iamClients(service.port);
});

afterAll(async () => {
  clients?.close();
  await service?.stop();
});

const asInternal = () => bearer(internalToken(internal));

function createSubject(request: Partial<iamSubjectService.CreateSubjectRequest>) {
  return unaryCall(
    clients.subjects.createSubject.bind(clients.subjects),
    {
      authProvider: iam.AuthProvider.INTERNAL,
      providerSubjectId: '',
      type: 'VM',
      credentials: [],
      ...request,
    },
    asInternal(),
  );
}

function oneTimeToken(login: string): string {
  return Buffer.from(`${login}/${randomUUID()}`).toString('base64');
}

describe('LzySubjectService', () => {
  it('lets the internal identity create a subject and read it back', async () => {
    const created = await createSubject({ providerSubjectId: 'vm-1', type: 'VM' });
    expect(created.type).toBe('VM');
    const got = await unaryCall(
      clients.subjects.getSubject.bind(clients.subjects),
      { id: created.id },
      asInternal(),
    );
    expect(got).toEqual(created);
    const found = await unaryCall(
      clients.subjects.findSubject.bind(clients.subjects),
      { providerUserId: 'vm-1', authProvider: 'INTERNAL', subjectType: 'VM' },
      asInternal(),
    );
    expect(found.subject).toEqual(created);
  });

  it('returns the same subject when CreateSubject is retried', async () => {
    const first = await createUser(clients, internal, 'retry-user', alice);
    const second = await createUser(clients, internal, 'retry-user', alice);
    expect(second).toEqual(first);
  });

  it('refuses CreateSubject for an existing identity of another type with ALREADY_EXISTS', async () => {
    await createSubject({ providerSubjectId: 'portal-7', type: 'WORKER' });
    await expect(
      createSubject({ providerSubjectId: 'portal-7', type: 'VM' }),
    ).rejects.toBeInstanceOf(AlreadyExists);
  });

  it('refuses an end user calling CreateSubject with PERMISSION_DENIED', async () => {
    await createUser(clients, internal, 'eve', alice);
    const err = await unaryCall(
      clients.subjects.createSubject.bind(clients.subjects),
      {
        authProvider: iam.AuthProvider.GITHUB,
        providerSubjectId: 'mallory',
        type: 'USER',
        credentials: [],
      },
      bearer(userToken('eve', alice)),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDenied);
  });

  it('rejects a private key uploaded as credentials with INVALID_ARGUMENT', async () => {
    const err = await createSubject({
      providerSubjectId: 'vm-bad-key',
      credentials: [
        { name: 'k', credentials: alice.privateKeyPem, type: iam.Credentials_Type.PUBLIC_KEY },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgument);
  });

  it('keeps credential names unique per subject', async () => {
    const subject = await createUser(clients, internal, 'carol', alice);
    const other = await pkcs1KeyPair();
    const add = (publicKeyPem: string) =>
      unaryCall(
        clients.subjects.addCredentials.bind(clients.subjects),
        {
          subject,
          credentials: {
            name: 'main',
            credentials: publicKeyPem,
            type: iam.Credentials_Type.PUBLIC_KEY,
          },
        },
        asInternal(),
      );
    await expect(add(other.publicKeyPem)).rejects.toBeInstanceOf(AlreadyExists);
    await expect(add(alice.publicKeyPem)).resolves.toEqual({});
    const listed = await unaryCall(
      clients.subjects.listCredentials.bind(clients.subjects),
      { subject },
      asInternal(),
    );
    expect(listed.credentialsList.map((c) => [c.name, c.credentials])).toEqual([
      ['main', alice.publicKeyPem],
    ]);
  });

  it('accepts a one-time token once and never lists its secret', async () => {
    const token = oneTimeToken('vm-ott');
    const subject = await createSubject({
      providerSubjectId: 'vm-ott',
      credentials: [
        {
          name: 'main',
          credentials: token,
          type: iam.Credentials_Type.OTT,
          expiredAt: new Date(Date.now() + 60_000),
        },
      ],
    });
    const listed = await unaryCall(
      clients.subjects.listCredentials.bind(clients.subjects),
      { subject },
      asInternal(),
    );
    expect(listed.credentialsList).toEqual([
      expect.objectContaining({ name: 'main', credentials: '', type: iam.Credentials_Type.OTT }),
    ]);
    const authenticate = () =>
      unaryCall(clients.auth.authenticate.bind(clients.auth), {}, bearer(token));
    expect(await authenticate()).toEqual(subject);
    await expect(authenticate()).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('refuses an expired one-time token', async () => {
    const token = oneTimeToken('vm-ott-old');
    await createSubject({
      providerSubjectId: 'vm-ott-old',
      credentials: [
        {
          name: 'main',
          credentials: token,
          type: iam.Credentials_Type.OTT,
          expiredAt: new Date(Date.now() - 1),
        },
      ],
    });
    await expect(
      unaryCall(clients.auth.authenticate.bind(clients.auth), {}, bearer(token)),
    ).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('removes a subject so it is no longer found', async () => {
    const subject = await createSubject({ providerSubjectId: 'vm-gone' });
    await unaryCall(
      clients.subjects.removeSubject.bind(clients.subjects),
      { subject },
      asInternal(),
    );
    await expect(
      unaryCall(
        clients.subjects.getSubject.bind(clients.subjects),
        { id: subject.id },
        asInternal(),
      ),
    ).rejects.toBeInstanceOf(NotFound);
  });
});
