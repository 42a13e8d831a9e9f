import { JWT_SHAPE } from '@lzy/auth';
import { PermissionDenied, Unauthenticated, Unavailable } from '@lzy/errors';
import { LocalAuthenticator } from '@lzy/grpc';
import type { Authenticator, Clock, Subject, SubjectKeys } from '@lzy/grpc';
import type { SubjectRecord } from './subject.ts';
import { hashOneTimeToken } from './subject.ts';

/** The store queries authentication needs (SubjectStore implements them). */
export interface CredentialSource {
  findPublicKeys(
    providerSubjectId: string,
    provider: string,
    keyName: string | undefined,
    now: Date,
  ): Promise<{ subject: SubjectRecord; publicKeyPems: string[] } | undefined>;
  consumeOneTimeToken(
    tokenHash: string,
  ): Promise<{ subject: SubjectRecord; expiredAt: Date; accessType: string } | undefined>;
}

export interface CallAuthenticatorDeps {
  credentials: CredentialSource;
  clock: Clock;
  /** False until the database is migrated: calls get UNAVAILABLE (retryable) meanwhile. */
  isReady: () => boolean;
}

function denied(reason: string): PermissionDenied {
  return new PermissionDenied('', { cause: new Error(reason) });
}

/**
 * How iam authenticates its own inbound calls, Authenticate included (public-api §4.2): a JWT is
 * verified by LocalAuthenticator against the subject's stored keys; a one-time token (base64 of
 * `<login>/<uuid>`) is looked up by hash, deleted (single use, valid or not) and must be unexpired
 * and belong to an INTERNAL subject whose provider id is `<login>`.
 */
export class CallAuthenticator implements Authenticator {
  readonly #deps: CallAuthenticatorDeps;
  readonly #jwt: LocalAuthenticator;

  constructor(deps: CallAuthenticatorDeps) {
    this.#deps = deps;
    this.#jwt = new LocalAuthenticator({
      clock: deps.clock,
      findPublicKeys: async (login, provider, keyName): Promise<SubjectKeys | undefined> => {
        const now = new Date(deps.clock.now());
        const found = await deps.credentials.findPublicKeys(login, provider, keyName, now);
        return found && { subject: toSubject(found.subject), publicKeyPems: found.publicKeyPems };
      },
    });
  }

  async authenticate(authorization: string): Promise<Subject> {
    if (!this.#deps.isReady()) {
      throw new Unavailable('iam is starting (database not ready yet); retry later');
    }
    const token = authorization.slice('Bearer '.length);
    if (JWT_SHAPE.test(token)) return this.#jwt.authenticate(authorization);
    return this.#authenticateOneTimeToken(token);
  }

  async #authenticateOneTimeToken(token: string): Promise<Subject> {
    const login = /^(.+)\/[^/]+$/.exec(Buffer.from(token, 'base64').toString('utf8'))?.[1];
    if (login === undefined) throw new Unauthenticated('Invalid one-time token');
    const found = await this.#deps.credentials.consumeOneTimeToken(hashOneTimeToken(token));
    if (found === undefined) throw denied('unknown one-time token');
    const { subject, expiredAt, accessType } = found;
    if (subject.authProvider !== 'INTERNAL' || subject.providerSubjectId !== login) {
      throw denied('one-time token of another subject');
    }
    if (expiredAt.getTime() <= this.#deps.clock.now()) throw denied('one-time token expired');
    if (accessType !== 'ACCESS_ALLOWED') throw denied('subject access is not allowed');
    return toSubject(subject);
  }
}

function toSubject(subject: SubjectRecord): Subject {
  return {
    id: subject.id,
    type: subject.type,
    ...(subject.ownerUserId === undefined ? {} : { ownerUserId: subject.ownerUserId }),
  };
}
