import { createChannelClient, internalCallCredentials, unaryCall } from '@lzy/grpc';
import type { Clock } from '@lzy/grpc';
import { iam, iamSubjectService } from '@lzy/proto';

export interface LocalUserOptions {
  iamAddress: string;
  internalPrivateKeyPem: string;
  /** JWT `iss` the clients will send (pylzy: LZY_USER). */
  login: string;
  publicKeyPem: string;
  clock: Clock;
  /** Name of the PUBLIC_KEY credential (default `local`); a different key under it replaces it. */
  credentialName?: string;
}

/**
 * Makes sure iam knows the local user exactly as pylzy needs it (public-api.md §4.2): provider
 * GITHUB (pylzy hard-codes `pvd`), provider id = login, type USER, the public key as a
 * PUBLIC_KEY credential named `local` (or `credentialName`). Idempotent. Returns the user's subject id.
 */
export async function ensureLocalUser(options: LocalUserOptions): Promise<string> {
  const client = createChannelClient(
    iamSubjectService.LzySubjectServiceClient,
    options.iamAddress,
    {
      callCredentials: internalCallCredentials({
        privateKeyPem: options.internalPrivateKeyPem,
        clock: options.clock,
      }),
    },
  );
  try {
    const credentials: iam.Credentials = {
      name: options.credentialName ?? 'local',
      credentials: options.publicKeyPem,
      type: iam.Credentials_Type.PUBLIC_KEY,
    };
    // The subject first, keyless (idempotent); then the `local` key, replaced when it changed
    // (a new LZY_HOME, or keys made again): the suite owns that credential.
    const subject = await unaryCall(client.createSubject.bind(client), {
      authProvider: iam.AuthProvider.GITHUB,
      providerSubjectId: options.login,
      type: 'USER',
      credentials: [],
    });
    const { credentialsList } = await unaryCall(client.listCredentials.bind(client), { subject });
    const current = credentialsList.find((c) => c.name === credentials.name);
    if (current?.credentials.trim() === credentials.credentials.trim()) return subject.id;
    if (current !== undefined) {
      await unaryCall(client.removeCredentials.bind(client), {
        subject,
        credentialsName: credentials.name,
      });
    }
    await unaryCall(client.addCredentials.bind(client), { subject, credentials });
    return subject.id;
  } finally {
    client.close();
  }
}
