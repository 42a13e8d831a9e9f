import { InvalidArgument } from '@lzy/errors';
import { iam } from '@lzy/proto';
import type { CredentialRecord, CredentialType, SubjectRecord } from '../domain/subject.ts';
import { checkAuthProvider, toCredentialRecord } from '../domain/subject.ts';
import type { AuthProvider } from '../domain/subject.ts';

/** proto AuthProvider enum → name. @throws InvalidArgument for UNSPECIFIED or unknown values */
export function authProviderOf(value: iam.AuthProvider): AuthProvider {
  switch (value) {
    case iam.AuthProvider.INTERNAL:
      return 'INTERNAL';
    case iam.AuthProvider.GITHUB:
      return 'GITHUB';
    case iam.AuthProvider.AUTH_PROVIDER_UNSPECIFIED:
    case iam.AuthProvider.UNRECOGNIZED:
    default: // decoded enums may hold unknown numbers
      return checkAuthProvider(String(value));
  }
}

function credentialTypeOf(value: iam.Credentials_Type): CredentialType | 'COOKIE' | 'UNSPECIFIED' {
  switch (value) {
    case iam.Credentials_Type.PUBLIC_KEY:
      return 'PUBLIC_KEY';
    case iam.Credentials_Type.OTT:
      return 'OTT';
    case iam.Credentials_Type.COOKIE:
      return 'COOKIE';
    case iam.Credentials_Type.CREDENTIALS_TYPE_UNSPECIFIED:
    case iam.Credentials_Type.UNRECOGNIZED:
    default: // decoded enums may hold unknown numbers
      return 'UNSPECIFIED';
  }
}

/** @throws InvalidArgument (see toCredentialRecord) */
export function toCredential(credentials: iam.Credentials | undefined): CredentialRecord {
  if (credentials === undefined) throw new InvalidArgument('credentials are required');
  return toCredentialRecord({
    name: credentials.name,
    type: credentialTypeOf(credentials.type),
    secret: credentials.credentials,
    expiredAt: credentials.expiredAt,
  });
}

/**
 * A stored credential on the wire. One-time tokens are stored hashed and their secret is never
 * returned: `credentials` is empty for them.
 */
export function fromCredential(credential: CredentialRecord): iam.Credentials {
  const isKey = credential.type === 'PUBLIC_KEY';
  return {
    name: credential.name,
    credentials: isKey ? credential.value : '',
    type: isKey ? iam.Credentials_Type.PUBLIC_KEY : iam.Credentials_Type.OTT,
    ...(credential.expiredAt === undefined ? {} : { expiredAt: credential.expiredAt }),
  };
}

export function fromSubject(subject: Pick<SubjectRecord, 'id' | 'type'>): iam.Subject {
  return { id: subject.id, type: subject.type };
}

/** The id of a request's `subject` field. @throws InvalidArgument if absent or empty */
export function subjectIdOf(subject: iam.Subject | undefined): string {
  if (subject === undefined || subject.id === '') {
    throw new InvalidArgument('subject.id is required');
  }
  return subject.id;
}
