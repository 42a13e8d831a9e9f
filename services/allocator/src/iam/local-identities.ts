import { createPublicKey } from 'node:crypto';
import { generateRsaKeyPair } from '@lzy/auth';
import { INTERNAL_SUBJECT_ID } from '@lzy/grpc';
import type { SubjectKeys } from '@lzy/grpc';
import type { VmIdentityIssuer } from '../domain/ports.ts';
import { vmLogin } from './iam-vm-identity-issuer.ts';

/**
 * Identities without iam (LZY_IAM_ADDRESS unset): VM keys are generated and kept in memory, and
 * `findPublicKeys` feeds a LocalAuthenticator that knows the internal identity (from
 * LZY_INTERNAL_PRIVATE_KEY) and the VMs issued here. Nothing else can call the allocator then.
 */
export class LocalIdentities implements VmIdentityIssuer {
  readonly #internalPublicKeyPem: string | undefined;
  readonly #vmKeys = new Map<string, { publicKeyPem: string; ownerUserId: string }>();

  constructor(deps: { internalPrivateKeyPem: string | undefined }) {
    this.#internalPublicKeyPem =
      deps.internalPrivateKeyPem === undefined
        ? undefined
        : createPublicKey(deps.internalPrivateKeyPem)
            .export({ type: 'spki', format: 'pem' })
            .toString();
  }

  async issue(vmId: string, ownerUserId: string): Promise<{ privateKeyPem: string }> {
    const { publicKeyPem, privateKeyPem } = await generateRsaKeyPair();
    this.#vmKeys.set(vmLogin(vmId), { publicKeyPem, ownerUserId });
    return { privateKeyPem };
  }

  revoke(vmId: string): Promise<void> {
    this.#vmKeys.delete(vmLogin(vmId));
    return Promise.resolve();
  }

  /** For LocalAuthenticator: `lzy-internal` and `vm-<vmId>` logins of provider INTERNAL. */
  findPublicKeys(login: string, provider: string): Promise<SubjectKeys | undefined> {
    if (provider !== 'INTERNAL') return Promise.resolve(undefined);
    if (login === INTERNAL_SUBJECT_ID && this.#internalPublicKeyPem !== undefined) {
      const subject = { id: INTERNAL_SUBJECT_ID, type: 'USER' };
      return Promise.resolve({ subject, publicKeyPems: [this.#internalPublicKeyPem] });
    }
    const vm = this.#vmKeys.get(login);
    if (vm === undefined) return Promise.resolve(undefined);
    const subject = {
      id: login,
      type: 'VM',
      ...(vm.ownerUserId === '' ? {} : { ownerUserId: vm.ownerUserId }),
    };
    return Promise.resolve({ subject, publicKeyPems: [vm.publicKeyPem] });
  }
}
