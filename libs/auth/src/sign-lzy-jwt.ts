import { constants, sign } from 'node:crypto';
import { InvalidArgument } from '@lzy/errors';
import { importPrivateKey } from './keys.ts';
import { encodeSegment } from './lzy-jwt.ts';
import type { AuthProvider, LzyJwtClaims, LzyJwtHeader } from './lzy-jwt.ts';

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

export interface SignLzyJwtOptions {
  /** `iss`: provider user id (GitHub login, VM id, internal user name). */
  issuer: string;
  /** `pvd`. */
  provider: AuthProvider;
  /** RSA private key, PKCS#1 or PKCS#8 PEM. */
  privateKeyPem: string;
  /** Current time, epoch ms (from the injected Clock). */
  nowMs: number;
  /** Lifetime; pylzy uses 7 days (the default), internal principals 1 day. */
  ttlMs?: number;
  /** Credential name for the `kn` header; omitted from the header when not given, as pylzy does. */
  keyName?: string;
}

/**
 * Signs a token the way pylzy does (public-api.md §4.1): header `{"alg":"PS256","typ":"JWT"}`
 * (+ `kn`), claims in pylzy's order `iat, nbf, exp, iss, pvd`, times as fractional seconds, and
 * RSASSA-PSS SHA-256 / MGF1 SHA-256 / salt 32 bytes.
 *
 * Built with node:crypto rather than jose: jose signs only asynchronously (WebCrypto) and owns the
 * JSON it emits, while we want a synchronous call and byte-for-byte control of header and claims.
 * @throws InvalidArgument for an empty issuer, a non-positive ttl or an unusable key.
 */
export function signLzyJwt(options: SignLzyJwtOptions): string {
  const { issuer, provider, privateKeyPem, nowMs, ttlMs = SEVEN_DAYS_MS, keyName } = options;
  if (issuer === '') throw new InvalidArgument('JWT issuer must not be empty');
  if (!(ttlMs > 0)) throw new InvalidArgument(`JWT ttlMs must be positive, got ${ttlMs}`);
  const key = importPrivateKey(privateKeyPem);
  const header: LzyJwtHeader =
    keyName === undefined
      ? { alg: 'PS256', typ: 'JWT' }
      : { alg: 'PS256', typ: 'JWT', kn: keyName };
  const nowSeconds = nowMs / 1000;
  const claims: LzyJwtClaims = {
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: (nowMs + ttlMs) / 1000,
    iss: issuer,
    pvd: provider,
  };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}
