import {
  IamAuthenticator,
  LocalAuthenticator,
  createChannelClient,
  internalCallCredentials,
} from '@lzy/grpc';
import type { Authenticator, Clock } from '@lzy/grpc';
import { iamVmOwner } from '@lzy/proto';
import type { WorkerConfig } from './config.ts';

/**
 * Bearer tokens for the worker's outbound calls: the VM's own identity (`vm-<id>`) on a VM,
 * `lzy-internal` in standalone mode when LZY_INTERNAL_PRIVATE_KEY is set, else none.
 */
export function outboundCredentials(
  config: WorkerConfig,
  clock: Clock,
): (() => Promise<string>) | undefined {
  if (config.vm !== undefined)
    return internalCallCredentials({
      privateKeyPem: config.vm.privateKeyPem,
      issuer: `vm-${config.vm.vmId}`,
      clock,
    });
  if (config.internalPrivateKeyPem !== undefined)
    return internalCallCredentials({ privateKeyPem: config.internalPrivateKeyPem, clock });
  return undefined;
}

/**
 * Inbound authentication: IAM when LZY_IAM_ADDRESS is set; otherwise only the issuers of
 * LZY_WORKER_TRUSTED_PUBLIC_KEYS (standalone mode; with none configured every call is refused).
 * A trusted `vm-…` issuer is a VM subject of no recorded owner (refused by owner-checked RPCs),
 * any other one a SERVICE subject of that id (only `lzy-internal` passes services-only RPCs).
 */
export function inboundAuthenticator(
  config: WorkerConfig,
  clock: Clock,
): { authenticator: Authenticator; close(): void } {
  if (config.iamAddress !== undefined) {
    const client = createChannelClient(
      iamVmOwner.InternalAuthenticateServiceClient,
      config.iamAddress,
    );
    return {
      authenticator: new IamAuthenticator({ client, clock }),
      close: () => client.close(),
    };
  }
  const trusted = config.trustedPublicKeys;
  const authenticator = new LocalAuthenticator({
    clock,
    findPublicKeys: (issuer, provider) => {
      const pem = Object.hasOwn(trusted, issuer) ? trusted[issuer] : undefined;
      if (pem === undefined || provider !== 'INTERNAL') return Promise.resolve(undefined);
      const type = issuer.startsWith('vm-') ? 'VM' : 'SERVICE';
      return Promise.resolve({ subject: { id: issuer, type }, publicKeyPems: [pem] });
    },
  });
  return { authenticator, close: () => undefined };
}
