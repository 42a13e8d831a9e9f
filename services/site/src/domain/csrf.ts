import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF protection of every change (POST, PUT, DELETE): the page sends a token bound to its
 * session (HMAC of the session id) in the `x-csrf-token` header, which another site's form or
 * script cannot read or set; the browser's Origin, when sent, must be ours as well. Session
 * cookies are SameSite=Lax on top.
 */
export class CsrfGuard {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  tokenFor(sid: string): string {
    return createHmac('sha256', this.#key).update(`csrf\n${sid}`).digest('base64url');
  }

  isValid(sid: string, token: string | undefined): boolean {
    if (token === undefined) return false;
    const expected = Buffer.from(this.tokenFor(sid));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** Methods that change something and so need the CSRF token. */
export function isUnsafeMethod(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * Whether a request's Origin (sent by browsers on every cross-origin request and on same-origin
 * POSTs) is one of ours. A missing Origin is accepted: non-browser clients, and the token check
 * still applies.
 */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin === undefined || allowed.includes(origin);
}
