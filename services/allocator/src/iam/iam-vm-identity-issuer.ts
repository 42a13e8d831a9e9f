import { randomBytes } from 'node:crypto';
import { AlreadyExists, NotFound } from '@lzy/errors';
import { generateRsaKeyPair } from '@lzy/auth';
import { unaryCall } from '@lzy/grpc';
import { iam } from '@lzy/proto';
import type { iamSubjectService, iamVmOwner } from '@lzy/proto';
import type { VmIdentityIssuer } from '../domain/ports.ts';

type SubjectClient = iamSubjectService.LzySubjectServiceClient;
type VmOwnerClient = iamVmOwner.VmOwnerServiceClient;

/** IAM login (`provider_subject_id`, JWT `iss`) of a VM. */
export function vmLogin(vmId: string): string {
  return `vm-${vmId}`;
}

/**
 * VM identities in iam (LzySubjectService, called as the internal identity): a subject of type
 * VM, provider INTERNAL, login `vm-<vmId>`, holding a fresh RSA public key per issue, and working
 * for the session's user (VmOwnerService.SetVmOwner), which the services' authorization checks.
 */
export class IamVmIdentityIssuer implements VmIdentityIssuer {
  readonly #client: SubjectClient;
  readonly #owners: VmOwnerClient;

  constructor(deps: { client: SubjectClient; owners: VmOwnerClient }) {
    this.#client = deps.client;
    this.#owners = deps.owners;
  }

  async issue(vmId: string, ownerUserId: string): Promise<{ privateKeyPem: string }> {
    const { publicKeyPem, privateKeyPem } = await generateRsaKeyPair();
    const key = (name: string): iam.Credentials => ({
      name,
      credentials: publicKeyPem,
      type: iam.Credentials_Type.PUBLIC_KEY,
      expiredAt: undefined,
    });
    const client = this.#client;
    let subject: iam.Subject;
    try {
      subject = await unaryCall(client.createSubject.bind(client), {
        authProvider: iam.AuthProvider.INTERNAL,
        providerSubjectId: vmLogin(vmId),
        type: 'VM',
        credentials: [key('main')],
      });
    } catch (err) {
      if (!(err instanceof AlreadyExists)) throw err;
      // A retry after a lost answer: the subject exists with a key we no longer have.
      const found = await this.#find(vmId);
      if (found === undefined) throw err;
      subject = found;
      const name = `main-${randomBytes(4).toString('hex')}`;
      await unaryCall(client.addCredentials.bind(client), { subject, credentials: key(name) });
    }
    // Before the VM gets its key: it never calls anything as a VM of no user. Idempotent.
    if (ownerUserId !== '') {
      const owners = this.#owners;
      await unaryCall(owners.setVmOwner.bind(owners), { subjectId: subject.id, ownerUserId });
    }
    return { privateKeyPem };
  }

  async revoke(vmId: string): Promise<void> {
    const subject = await this.#find(vmId);
    if (subject === undefined) return;
    try {
      await unaryCall(this.#client.removeSubject.bind(this.#client), { subject });
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
  }

  async #find(vmId: string): Promise<iam.Subject | undefined> {
    try {
      const found = await unaryCall(this.#client.findSubject.bind(this.#client), {
        providerUserId: vmLogin(vmId),
        authProvider: 'INTERNAL',
        subjectType: 'VM',
      });
      return found.subject;
    } catch (err) {
      if (err instanceof NotFound) return undefined;
      throw err;
    }
  }
}
