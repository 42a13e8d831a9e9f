import { Unauthenticated } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Authenticator, Subject } from './authenticator.ts';

// public-api.md §4.2 step 1: a JWT `a.b.c`, or (internal callers only) a one-time token that is
// base64 of `<login>/<uuid>` (reference-lzy-internals §2.4). The authenticator decides validity.
const BEARER = /^Bearer (?:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9+/]+={0,2})$/;

/**
 * Checks the `authorization` header's form, then asks the authenticator who the caller is.
 * @throws Unauthenticated "Authorization header is missing" / Bearer scheme required;
 *   whatever the authenticator throws otherwise.
 */
export async function authenticateCall(
  authenticator: Authenticator,
  authorization: string | undefined,
  ctx: { requestId: string; log: Logger },
): Promise<Subject> {
  if (authorization === undefined || authorization === '') {
    throw new Unauthenticated('Authorization header is missing');
  }
  if (!BEARER.test(authorization)) {
    throw new Unauthenticated('Authorization header must use the Bearer scheme: "Bearer <JWT>"');
  }
  return authenticator.authenticate(authorization, ctx);
}

/** The token part of a `Bearer <token>` header already checked by authenticateCall. */
export function bearerToken(authorization: string): string {
  return authorization.startsWith('Bearer ')
    ? authorization.slice('Bearer '.length)
    : authorization;
}
