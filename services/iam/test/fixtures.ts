import { createHash, createPrivateKey } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { Logger } from '@lzy/logging';
import {
  iam,
  iamAccessBindingService,
  iamAccessService,
  iamAuthService,
  iamSubjectService,
} from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { iamMigrations, loadIamConfig, startIam } from '../src/index.ts';
import type { RunningIam } from '../src/index.ts';

// Named after the migrations, so a new migration gets a fresh template in the same run.
const migrationsTag = createHash('sha256')
  .update(Object.keys(iamMigrations).join(','))
  .digest('hex')
  .slice(0, 8);

/** iam's schema, migrated once per run. */
export const iamTemplate: TemplateSpec = {
  name: `tpl_lzy_iam_${migrationsTag}`,
  migrate: async (url) => {
    const db = createDatabase({ url, poolMax: 1 });
    try {
      await migrateToLatest(db, iamMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

export const silentLog: Logger = createLogger({ service: 'iam-test', level: 'silent' });

/** An RSA key pair whose private half is PKCS#1 (`openssl genrsa`, as the pylzy tutorial). */
export async function pkcs1KeyPair(): Promise<RsaKeyPair> {
  const keys = await generateRsaKeyPair();
  const pkcs1 = createPrivateKey(keys.privateKeyPem).export({ type: 'pkcs1', format: 'pem' });
  return { publicKeyPem: keys.publicKeyPem, privateKeyPem: pkcs1.toString() };
}

/** A token as pylzy makes it: pvd GITHUB, fractional iat/nbf/exp, 7 days. */
export function userToken(login: string, keys: RsaKeyPair, nowMs = Date.now() + 0.123456): string {
  return signLzyJwt({
    issuer: login,
    provider: 'GITHUB',
    privateKeyPem: keys.privateKeyPem,
    nowMs,
  });
}

export function internalToken(keys: RsaKeyPair): string {
  return signLzyJwt({
    issuer: 'lzy-internal',
    provider: 'INTERNAL',
    privateKeyPem: keys.privateKeyPem,
    nowMs: Date.now(),
    ttlMs: 3_600_000,
  });
}

/** Metadata carrying `authorization: Bearer <token>`. */
export function bearer(token: string): { metadata: Metadata } {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return { metadata };
}

export interface IamClients {
  auth: iamAuthService.LzyAuthenticateServiceClient;
  subjects: iamSubjectService.LzySubjectServiceClient;
  access: iamAccessService.LzyAccessServiceClient;
  bindings: iamAccessBindingService.LzyAccessBindingServiceClient;
  close(): void;
}

export function iamClients(port: number): IamClients {
  const address = `127.0.0.1:${port}`;
  const options = { retry: false as const };
  const auth = createChannelClient(iamAuthService.LzyAuthenticateServiceClient, address, options);
  const subjects = createChannelClient(iamSubjectService.LzySubjectServiceClient, address, options);
  const access = createChannelClient(iamAccessService.LzyAccessServiceClient, address, options);
  const bindings = createChannelClient(
    iamAccessBindingService.LzyAccessBindingServiceClient,
    address,
    options,
  );
  return {
    auth,
    subjects,
    access,
    bindings,
    close: () => [auth, subjects, access, bindings].forEach((c) => c.close()),
  };
}

/** Starts iam on a free port over `dbUrl` with `internalKeys` as the internal identity. */
export async function startTestIam(dbUrl: string, internalKeys: RsaKeyPair): Promise<RunningIam> {
  const config = loadIamConfig({
    LZY_PORT: '0',
    LZY_DB_URL: dbUrl,
    LZY_IAM_INTERNAL_PUBLIC_KEY: internalKeys.publicKeyPem,
    LZY_LOG_LEVEL: 'silent',
  });
  return startIam(config, { log: silentLog });
}

/** CreateSubject as the internal identity: a GITHUB USER with one public key. */
export async function createUser(
  clients: IamClients,
  internal: RsaKeyPair,
  login: string,
  keys: RsaKeyPair,
): Promise<iam.Subject> {
  return unaryCall(
    clients.subjects.createSubject.bind(clients.subjects),
    {
      authProvider: iam.AuthProvider.GITHUB,
      providerSubjectId: login,
      type: 'USER',
      credentials: [
        { name: 'main', credentials: keys.publicKeyPem, type: iam.Credentials_Type.PUBLIC_KEY },
      ],
    },
    bearer(internalToken(internal)),
  );
}
