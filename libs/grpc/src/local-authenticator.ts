import { PermissionDenied } from '@lzy/errors';
import { decodeLzyJwtUnverified, verifyLzyJwt } from '@lzy/auth';
import type { Authenticator, Clock, Subject } from './authenticator.ts';
import { bearerToken } from './call-auth.ts';

/** A subject and its usable (non-expired) public keys, PEM SPKI. */
export interface SubjectKeys {
  subject: Subject;
  publicKeyPems: string[];
}

export interface LocalAuthenticatorDeps {
  /**
   * Finds the subject with provider user id `login` (JWT `iss`) and provider `provider` (`pvd`)
   * and its non-expired PUBLIC_KEY credentials, only the one named `keyName` if given (JWT `kn`).
   * undefined if there is no such subject.
   */
  findPublicKeys(
    login: string,
    provider: string,
    keyName: string | undefined,
  ): Promise<SubjectKeys | undefined>;
  clock: Clock;
  /** Tolerance for exp/nbf, default 30 s (public-api.md §4.2). */
  clockSkewMs?: number;
}

/**
 * Verifies PS256 JWTs in-process against keys from `findPublicKeys` (public-api.md §4.2 steps
 * 3–5): what IAM itself does, and what tests use instead of a running IAM.
 * Throws Unauthenticated "Invalid JWT" for a malformed token, PermissionDenied (empty message) for
 * an unknown subject, a bad signature or an expired token.
 */
export class LocalAuthenticator implements Authenticator {
  readonly #deps: LocalAuthenticatorDeps;

  constructor(deps: LocalAuthenticatorDeps) {
    this.#deps = deps;
  }

  async authenticate(authorization: string): Promise<Subject> {
    const token = bearerToken(authorization);
    const { header, claims } = decodeLzyJwtUnverified(token);
    const found = await this.#deps.findPublicKeys(claims.iss, claims.pvd, header.kn);
    if (found === undefined)
      throw new PermissionDenied('', { cause: new Error('unknown subject') });
    verifyLzyJwt(token, found.publicKeyPems, {
      nowMs: this.#deps.clock.now(),
      clockSkewMs: this.#deps.clockSkewMs,
    });
    return found.subject;
  }
}
