import { constants, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PermissionDenied } from '@lzy/errors';
import { importPublicKey } from './keys.ts';
import { decodeLzyJwtUnverified } from './lzy-jwt.ts';
import type { LzyJwtClaims } from './lzy-jwt.ts';

export interface VerifyLzyJwtOptions {
  /** Current time, epoch ms (from the injected Clock). */
  nowMs: number;
  /**
   * Tolerance for `exp` and `nbf`. Java used zero, which rejects clients whose clock runs ahead;
   * public-api.md §4.2 allows a small skew. Default 30 s.
   */
  clockSkewMs?: number;
}

// Deliberately empty: public-api.md §4.2 step 5 answers PERMISSION_DENIED with no description,
// so a caller cannot tell an unknown user from a bad signature or an expired token.
function denied(reason: string): PermissionDenied {
  return new PermissionDenied('', { cause: new Error(reason) });
}

function verifiesWith(key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  return verify(
    'sha256',
    signingInput,
    { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    signature,
  );
}

/**
 * Verifies a PS256 token against the candidate public keys (SPKI PEM) of its claimed subject; the
 * first key that verifies wins. Checks the signature, `exp` in the future and `nbf` not in the
 * future, both within the skew; accepts fractional NumericDates; `iat` is not checked (as Java).
 * @returns the verified claims.
 * @throws Unauthenticated "Invalid JWT" if the token is malformed (see decodeLzyJwtUnverified).
 * @throws PermissionDenied (empty message) if no key verifies it, or it is expired or not yet valid.
 * @throws Error (→ INTERNAL) if no key verifies and some stored key could not be parsed.
 */
export function verifyLzyJwt(
  token: string,
  publicKeyPems: readonly string[],
  options: VerifyLzyJwtOptions,
): LzyJwtClaims {
  const { nowMs, clockSkewMs = 30_000 } = options;
  const { header, claims } = decodeLzyJwtUnverified(token);
  if (header.alg !== 'PS256') throw denied(`alg ${header.alg} is not PS256`);

  const lastDot = token.lastIndexOf('.');
  const signingInput = Buffer.from(token.slice(0, lastDot), 'ascii');
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  let unreadable: unknown;
  const verified = publicKeyPems.some((pem) => {
    try {
      return verifiesWith(importPublicKey(pem), signingInput, signature);
    } catch (err) {
      unreadable = err;
      return false;
    }
  });
  if (!verified) {
    if (unreadable !== undefined)
      throw new Error('a stored public key could not be parsed', { cause: unreadable });
    throw denied('signature matches none of the subject keys');
  }
  if (claims.exp === undefined) throw denied('token has no exp');
  if (claims.exp * 1000 <= nowMs - clockSkewMs) throw denied('token expired');
  if (claims.nbf !== undefined && claims.nbf * 1000 > nowMs + clockSkewMs)
    throw denied('token not yet valid');
  return claims;
}
