import { createHash } from 'node:crypto';
import { importPublicKey } from '@lzy/auth';
import { InvalidArgument } from '@lzy/errors';

/** Subject types (public-api §3.11). */
export const SUBJECT_TYPES = ['USER', 'WORKER', 'VM'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** Auth providers, spelled as the AuthProvider enum names (pylzy sends `pvd: "GITHUB"`). */
export const AUTH_PROVIDERS = ['INTERNAL', 'GITHUB'] as const;
export type AuthProvider = (typeof AUTH_PROVIDERS)[number];

export interface SubjectRecord {
  /** Random UUID, except the internal identity `lzy-internal`. The `userId` of other services. */
  id: string;
  type: SubjectType;
  authProvider: AuthProvider;
  /** GitHub login, `vm-<vmId>`, a portal id, `lzy-internal`: the JWT `iss`. */
  providerSubjectId: string;
  /** VM subjects: the user the VM works for (VmOwnerService.SetVmOwner); undefined if none. */
  ownerUserId?: string;
}

export type CredentialType = 'PUBLIC_KEY' | 'OTT';

/** A credential as stored: a PEM public key, or the sha256 (hex) of a one-time token. */
export interface CredentialRecord {
  name: string;
  type: CredentialType;
  value: string;
  /** undefined: never expires (an OTT always expires). */
  expiredAt?: Date | undefined;
}

export interface NewSubject {
  type: SubjectType;
  authProvider: AuthProvider;
  providerSubjectId: string;
  credentials: CredentialRecord[];
}

/** @throws InvalidArgument unless `type` is USER, WORKER or VM */
export function checkSubjectType(type: string): SubjectType {
  const found = SUBJECT_TYPES.find((t) => t === type);
  if (found === undefined) {
    throw new InvalidArgument(
      `unknown subject type "${type}"; expected one of ${SUBJECT_TYPES.join(', ')}`,
    );
  }
  return found;
}

/** @throws InvalidArgument unless `provider` is INTERNAL or GITHUB */
export function checkAuthProvider(provider: string): AuthProvider {
  const found = AUTH_PROVIDERS.find((p) => p === provider);
  if (found === undefined) {
    throw new InvalidArgument(
      `unknown auth provider "${provider}"; expected one of ${AUTH_PROVIDERS.join(', ')}`,
    );
  }
  return found;
}

/** How a one-time token is stored and looked up: the database never holds a usable token. */
export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Checks a credential from a request and turns it into what is stored.
 * @param input.secret the PEM public key, or the one-time token in clear
 * @throws InvalidArgument for an empty name, a value that is not a PEM RSA public key, an OTT
 *   without expiry, or an unsupported type (COOKIE)
 */
export function toCredentialRecord(input: {
  name: string;
  type: CredentialType | 'COOKIE' | 'UNSPECIFIED';
  secret: string;
  expiredAt?: Date | undefined;
}): CredentialRecord {
  if (input.name === '') throw new InvalidArgument('credentials name is required');
  const expiry = input.expiredAt === undefined ? {} : { expiredAt: input.expiredAt };
  switch (input.type) {
    case 'PUBLIC_KEY':
      importPublicKey(input.secret);
      return { name: input.name, type: 'PUBLIC_KEY', value: input.secret, ...expiry };
    case 'OTT':
      if (input.expiredAt === undefined) {
        throw new InvalidArgument(`one-time token "${input.name}" must have expired_at`);
      }
      if (input.secret === '') throw new InvalidArgument('one-time token is empty');
      return { name: input.name, type: 'OTT', value: hashOneTimeToken(input.secret), ...expiry };
    case 'COOKIE':
    case 'UNSPECIFIED':
      throw new InvalidArgument(
        `credentials "${input.name}" have unsupported type ${input.type}; use PUBLIC_KEY or OTT`,
      );
  }
}

/**
 * Checks a CreateSubject request (reference-lzy-internals §2.1).
 * @throws InvalidArgument for an empty provider id, duplicate credential names, or an INTERNAL
 *   USER (only iam itself creates that one: the internal identity)
 */
export function checkNewSubject(subject: NewSubject): NewSubject {
  if (subject.providerSubjectId === '') {
    throw new InvalidArgument('provider_subject_id is required');
  }
  if (subject.authProvider === 'INTERNAL' && subject.type === 'USER') {
    throw new InvalidArgument(
      'INTERNAL USER subjects cannot be created: use type WORKER or VM for machines',
    );
  }
  const names = new Set<string>();
  for (const credential of subject.credentials) {
    if (names.has(credential.name)) {
      throw new InvalidArgument(`credentials name "${credential.name}" is given twice`);
    }
    names.add(credential.name);
  }
  return subject;
}

/** Same stored credential (a retried request), ignoring expiry. */
export function isSameCredential(a: CredentialRecord, b: CredentialRecord): boolean {
  return a.type === b.type && a.value.trim() === b.value.trim();
}
