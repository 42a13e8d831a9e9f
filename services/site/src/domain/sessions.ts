import { randomUUID } from 'node:crypto';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import { PermissionDenied } from '@lzy/errors';
import type { Clock } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { ADMIN_ROLE, ADMIN_VIEW, SESSION_KEY_PREFIX } from './access-policy.ts';
import type { IdentityPort } from './ports.ts';
import type { SessionCookieCodec, SessionData } from './session-cookie.ts';

/** A signed-in user, as every request handler sees them. */
export interface SessionUser {
  sid: string;
  userId: string;
  login: string;
  isAdmin: boolean;
  expiresAtMs: number;
  /** A JWT of the user signed with the session key: calls public APIs (whiteboards) as them. */
  token(): string;
}

export interface SessionsDeps {
  identity: IdentityPort;
  codec: SessionCookieCodec;
  clock: Clock;
  /** Session lifetime (the cookie and the iam credential expire together). */
  ttlMs: number;
  /** How long a session iam accepted is trusted without asking again. */
  authCacheMs: number;
  /** GitHub logins made operators (`lzy.admin` on root) when they sign in. */
  adminLogins: readonly string[];
  log: Logger;
}

interface Checked {
  user: SessionUser;
  untilMs: number;
}

const TOKEN_TTL_MS = 10 * 60_000;

/**
 * Sign-in, authentication and sign-out. Each session has its own RSA key: the public half is an
 * iam credential of the user (`site-session-<sid>`, expiring with the session), the private half
 * travels sealed in the cookie. A request is let in when iam authenticates a JWT signed with that
 * key as the cookie's user, so iam decides: signing out (or an operator removing the credential,
 * or removing the user) ends the session everywhere within `authCacheMs`.
 */
export class Sessions {
  readonly #deps: SessionsDeps;
  readonly #checked = new Map<string, Checked>();
  readonly #signedOut = new Map<string, number>();

  constructor(deps: SessionsDeps) {
    this.#deps = deps;
  }

  /**
   * Signs `login` in (creating the iam user on first sign-in, as LZY did) and returns the sealed
   * cookie value. Expired session keys of the user are removed on the way.
   */
  async signIn(login: string): Promise<{ cookie: string; user: SessionUser }> {
    const { identity, clock, ttlMs } = this.#deps;
    const userId = await identity.ensureUser(login);
    if (this.#deps.adminLogins.includes(login)) await identity.grantOnRoot(userId, ADMIN_ROLE);
    await this.#removeExpiredSessionKeys(userId);
    const sid = randomUUID();
    const keys = await generateRsaKeyPair();
    const expiresAtMs = clock.now() + ttlMs;
    await identity.addPublicKey(
      userId,
      `${SESSION_KEY_PREFIX}${sid}`,
      keys.publicKeyPem,
      new Date(expiresAtMs),
    );
    const data: SessionData = {
      sid,
      userId,
      login,
      privateKeyPem: keys.privateKeyPem,
      expiresAtMs,
    };
    const isAdmin = await identity.isAllowedOnRoot(userId, ADMIN_VIEW);
    const user = this.#userOf(data, isAdmin);
    this.#checked.set(sid, { user, untilMs: clock.now() + this.#deps.authCacheMs });
    this.#deps.log.info({ userId, sid }, 'signed in');
    return { cookie: this.#deps.codec.seal(data), user };
  }

  /** The session's user, or undefined if the cookie is bad, expired, signed out or refused by iam. */
  async authenticate(cookie: string | undefined): Promise<SessionUser | undefined> {
    if (cookie === undefined || cookie === '') return undefined;
    const data = this.#deps.codec.open(cookie);
    const now = this.#deps.clock.now();
    if (data === undefined || data.expiresAtMs <= now || this.#signedOut.has(data.sid)) {
      return undefined;
    }
    const cached = this.#checked.get(data.sid);
    if (cached !== undefined && cached.untilMs > now) return cached.user;
    const user = this.#userOf(data, false);
    let subjectId: string;
    try {
      subjectId = await this.#deps.identity.authenticate(user.token());
    } catch (err) {
      if (err instanceof PermissionDenied) return undefined;
      throw err;
    }
    if (subjectId !== data.userId) return undefined;
    const isAdmin = await this.#deps.identity.isAllowedOnRoot(data.userId, ADMIN_VIEW);
    const checked = { ...user, isAdmin };
    this.#checked.set(data.sid, { user: checked, untilMs: now + this.#deps.authCacheMs });
    return checked;
  }

  /** Ends the session: its iam credential is removed, so no replica accepts it any more. */
  async signOut(user: SessionUser): Promise<void> {
    this.#signedOut.set(user.sid, user.expiresAtMs);
    this.#checked.delete(user.sid);
    this.#pruneSignedOut();
    await this.#deps.identity
      .removeCredential(user.userId, `${SESSION_KEY_PREFIX}${user.sid}`)
      .catch((err: unknown) => this.#deps.log.warn({ err }, 'cannot remove a session key'));
    this.#deps.log.info({ userId: user.userId, sid: user.sid }, 'signed out');
  }

  #userOf(data: SessionData, isAdmin: boolean): SessionUser {
    const clock = this.#deps.clock;
    let token = '';
    let renewAtMs = 0;
    return {
      sid: data.sid,
      userId: data.userId,
      login: data.login,
      isAdmin,
      expiresAtMs: data.expiresAtMs,
      token: () => {
        const nowMs = clock.now();
        if (nowMs >= renewAtMs) {
          token = signLzyJwt({
            issuer: data.login,
            provider: 'GITHUB',
            privateKeyPem: data.privateKeyPem,
            nowMs,
            ttlMs: TOKEN_TTL_MS,
            keyName: `${SESSION_KEY_PREFIX}${data.sid}`,
          });
          renewAtMs = nowMs + TOKEN_TTL_MS / 2;
        }
        return token;
      },
    };
  }

  async #removeExpiredSessionKeys(userId: string): Promise<void> {
    const now = this.#deps.clock.now();
    const credentials = await this.#deps.identity.listCredentials(userId);
    for (const credential of credentials) {
      const expired = credential.expiresAt !== undefined && credential.expiresAt.getTime() <= now;
      if (credential.name.startsWith(SESSION_KEY_PREFIX) && expired) {
        await this.#deps.identity.removeCredential(userId, credential.name).catch(() => undefined);
      }
    }
  }

  #pruneSignedOut(): void {
    const now = this.#deps.clock.now();
    for (const [sid, expiresAtMs] of this.#signedOut) {
      if (expiresAtMs <= now) this.#signedOut.delete(sid);
    }
    for (const [sid, checked] of this.#checked) {
      if (checked.untilMs <= now) this.#checked.delete(sid);
    }
  }
}
