import { AlreadyExists } from '@lzy/errors';
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
}

/**
 * Makes sure iam knows the local user exactly as pylzy needs it (public-api.md §4.2): provider
 * GITHUB (pylzy hard-codes `pvd`), provider id = login, type USER, the public key as a
 * PUBLIC_KEY credential named `local`. Idempotent. Returns the user's subject id.
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
      name: 'local',
      credentials: options.publicKeyPem,
      type: iam.Credentials_Type.PUBLIC_KEY,
    };
    const subject = await unaryCall(client.createSubject.bind(client), {
      authProvider: iam.AuthProvider.GITHUB,
      providerSubjectId: options.login,
      type: 'USER',
      credentials: [credentials],
    });
    try {
      await unaryCall(client.addCredentials.bind(client), { subject, credentials });
    } catch (err) {
      // The key is already there from an earlier start.
      if (!(err instanceof AlreadyExists)) throw err;
    }
    return subject.id;
  } finally {
    client.close();
  }
}
