import { Unauthenticated } from '@lzy/errors';

/** Providers IAM knows (`AuthProvider` enum names). pylzy always sends GITHUB. */
export type AuthProvider = 'GITHUB' | 'INTERNAL';

/** JOSE header of an LZY token. pylzy sends `{"alg":"PS256","typ":"JWT"}`; the site adds `kn`. */
export interface LzyJwtHeader {
  alg: string;
  typ?: string;
  /** Credential name: narrows IAM's key search to that one credential. */
  kn?: string;
}

/**
 * Claims of an LZY token. Times are JWT NumericDates in seconds and may be fractional
 * (pylzy sends Python `time.time()`, e.g. 1675432800.123456).
 */
export interface LzyJwtClaims {
  /** Provider user id: the GitHub login, a VM id, the internal user name. */
  iss: string;
  /** Provider name, e.g. GITHUB or INTERNAL; not validated here (IAM looks it up). */
  pvd: string;
  iat?: number;
  nbf?: number;
  exp?: number;
}

// Shape required of a bearer JWT (public-api.md §4.2 step 1).
export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeSegment(segment: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('JWT segment is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function optionalNumber(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error('NumericDate is not a number');
  return value;
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error('header field is not a string');
  return value;
}

/**
 * Reads header and claims WITHOUT checking the signature: IAM needs `iss`, `pvd` and `kn` to find
 * the keys to verify with (public-api.md §4.2 step 3). Never trust the result on its own.
 * @throws Unauthenticated "Invalid JWT" if the token is malformed or `iss`/`pvd` are empty.
 */
export function decodeLzyJwtUnverified(token: string): {
  header: LzyJwtHeader;
  claims: LzyJwtClaims;
} {
  try {
    if (!JWT_SHAPE.test(token)) throw new Error('not three base64url segments');
    const [headerSegment = '', payloadSegment = ''] = token.split('.');
    const header = decodeSegment(headerSegment);
    const payload = decodeSegment(payloadSegment);
    const { iss, pvd } = payload;
    if (typeof header.alg !== 'string') throw new Error('header has no alg');
    if (typeof iss !== 'string' || iss === '' || typeof pvd !== 'string' || pvd === '') {
      throw new Error('iss or pvd missing');
    }
    const kn = optionalString(header.kn);
    const typ = optionalString(header.typ);
    const claims: LzyJwtClaims = { iss, pvd };
    const times = { iat: payload.iat, nbf: payload.nbf, exp: payload.exp };
    for (const [name, value] of Object.entries(times)) {
      const seconds = optionalNumber(value);
      if (seconds !== undefined) claims[name as 'iat' | 'nbf' | 'exp'] = seconds;
    }
    return {
      header: {
        alg: header.alg,
        ...(typ === undefined ? {} : { typ }),
        ...(kn === undefined ? {} : { kn }),
      },
      claims,
    };
  } catch (cause) {
    throw new Unauthenticated('Invalid JWT', { cause });
  }
}
