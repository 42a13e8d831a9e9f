import { Metadata } from '@grpc/grpc-js';
import { PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { iam } from '@lzy/proto';
import type {
  iamAccessBindingService,
  iamAccessService,
  iamAuthService,
  iamSubjectService,
} from '@lzy/proto';
import type { Credential, IdentityPort } from '../domain/ports.ts';

const ROOT: iam.Resource = { type: 'root', id: 'lzy.resource.root' };

export interface IamStubs {
  subjects: iamSubjectService.LzySubjectServiceClient;
  auth: iamAuthService.LzyAuthenticateServiceClient;
  access: iamAccessService.LzyAccessServiceClient;
  bindings: iamAccessBindingService.LzyAccessBindingServiceClient;
}

/** IdentityPort over iam's LZY APIs, called as the internal identity (except Authenticate). */
export class IamIdentity implements IdentityPort {
  readonly #stubs: IamStubs;

  constructor(deps: { stubs: IamStubs }) {
    this.#stubs = deps.stubs;
  }

  async ensureUser(login: string): Promise<string> {
    const c = this.#stubs.subjects;
    const subject = await unaryCall(c.createSubject.bind(c), {
      authProvider: iam.AuthProvider.GITHUB,
      providerSubjectId: login,
      type: 'USER',
      credentials: [],
    });
    return subject.id;
  }

  async listCredentials(userId: string): Promise<Credential[]> {
    const c = this.#stubs.subjects;
    const { credentialsList } = await unaryCall(c.listCredentials.bind(c), {
      subject: { id: userId, type: 'USER' },
    });
    return credentialsList.map((cred) => ({
      name: cred.name,
      type: cred.type === iam.Credentials_Type.PUBLIC_KEY ? 'PUBLIC_KEY' : 'OTHER',
      value: cred.credentials,
      expiresAt: cred.expiredAt,
    }));
  }

  async addPublicKey(userId: string, name: string, pem: string, expiresAt?: Date): Promise<void> {
    const c = this.#stubs.subjects;
    await unaryCall(c.addCredentials.bind(c), {
      subject: { id: userId, type: 'USER' },
      credentials: {
        name,
        credentials: pem,
        type: iam.Credentials_Type.PUBLIC_KEY,
        expiredAt: expiresAt,
      },
    });
  }

  async removeCredential(userId: string, name: string): Promise<void> {
    const c = this.#stubs.subjects;
    await unaryCall(c.removeCredentials.bind(c), {
      subject: { id: userId, type: 'USER' },
      credentialsName: name,
    });
  }

  async authenticate(token: string): Promise<string> {
    const c = this.#stubs.auth;
    // The token is the credential checked: it replaces the internal identity on this call.
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const subject = await unaryCall(c.authenticate.bind(c), {}, { metadata });
    return subject.id;
  }

  async isAllowedOnRoot(userId: string, permission: string): Promise<boolean> {
    const c = this.#stubs.access;
    try {
      await unaryCall(c.authorize.bind(c), {
        subject: { id: userId, type: 'USER' },
        permission,
        resource: ROOT,
      });
      return true;
    } catch (err) {
      if (err instanceof PermissionDenied) return false;
      throw err;
    }
  }

  async grantOnRoot(userId: string, role: string): Promise<void> {
    const c = this.#stubs.bindings;
    await unaryCall(c.updateAccessBindings.bind(c), {
      resource: ROOT,
      deltas: [
        {
          binding: { role, subject: { id: userId, type: 'USER' } },
          action: iam.AccessBindingAction.ADD,
        },
      ],
    });
  }
}
