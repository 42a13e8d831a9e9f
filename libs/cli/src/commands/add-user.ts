import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgument } from '@lzy/errors';
import type { CliIo } from '../cli-io.ts';

export interface AddUserArgs {
  iam: string;
  internalKey: string;
  login: string;
  publicKey: string;
  keyName: string;
}

/**
 * `lzy add-user`: registers a user and their public key in an installation's iam through the
 * internal identity (the same registration `lzy up` makes for the local user), so an operator
 * of a Kubernetes installation can let people in. Prints the subject id.
 * @throws InvalidArgument when a key file is not a PEM of the right kind.
 */
export async function runAddUser(args: AddUserArgs, io: CliIo): Promise<number> {
  const internalPrivateKeyPem = await readPem(
    io,
    args.internalKey,
    'PRIVATE KEY',
    '--internal-key',
  );
  const publicKeyPem = await readPem(io, args.publicKey, 'PUBLIC KEY', '--public-key');
  // Loaded here: local-suite pulls in every service, which the other commands do not need.
  const { ensureLocalUser } = await import('@lzy/local-suite');
  const subjectId = await ensureLocalUser({
    iamAddress: args.iam,
    internalPrivateKeyPem,
    login: args.login,
    publicKeyPem,
    credentialName: args.keyName,
    clock: { now: () => Date.now() },
  });
  io.stdout.write(`${subjectId}\n`);
  return 0;
}

async function readPem(io: CliIo, path: string, kind: string, option: string): Promise<string> {
  const text = await readFile(resolve(io.cwd, path), 'utf8');
  if (!text.includes(`-----BEGIN `) || !text.includes(kind)) {
    throw new InvalidArgument(`${option} ${path}: expected a PEM file with a ${kind}`);
  }
  return text;
}
