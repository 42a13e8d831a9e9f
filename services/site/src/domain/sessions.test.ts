import { verifyLzyJwt } from '@lzy/auth';
import { AlreadyExists, NotFound, PermissionDenied } from '@lzy/errors';
import { createLogger } from '@lzy/logging';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Credential, IdentityPort } from './ports.ts';
import { SessionCookieCodec } from './session-cookie.ts';
import { Sessions } from './sessions.ts';

/** iam in memory: users by login, credentials, root roles; authenticate verifies like iam. */
class FakeIam implements IdentityPort {
  readonly users = new Map<string, string>();
  readonly credentials = new Map<string, Credential[]>();
  readonly roles = new Map<string, Set<string>>();
  nowMs = 0;

  ensureUser(login: string): Promise<string> {
    const id = this.users.get(login) ?? `id-${login}`;
    this.users.set(login, id);
    return Promise.resolve(id);
  }
  listCredentials(userId: string): Promise<Credential[]> {
    return Promise.resolve([...(this.credentials.get(userId) ?? [])]);
  }
  addPublicKey(userId: string, name: string, pem: string, expiresAt?: Date): Promise<void> {
    const list = this.credentials.get(userId) ?? [];
    if (list.some((c) => c.name === name)) return Promise.reject(new AlreadyExists(name));
    list.push({ name, type: 'PUBLIC_KEY', value: pem, expiresAt });
    this.credentials.set(userId, list);
    return Promise.resolve();
  }
  removeCredential(userId: string, name: string): Promise<void> {
    const list = this.credentials.get(userId) ?? [];
    if (!list.some((c) => c.name === name)) return Promise.reject(new NotFound(name));
    this.credentials.set(
      userId,
      list.filter((c) => c.name !== name),
    );
    return Promise.resolve();
  }
  authenticate(token: string): Promise<string> {
    for (const [login, id] of this.users) {
      const keys = (this.credentials.get(id) ?? []).filter(
        (c) => c.expiresAt === undefined || c.expiresAt.getTime() > this.nowMs,
      );
      for (const key of keys) {
        try {
          const claims = verifyLzyJwt(token, [key.value], { nowMs: this.nowMs });
          if (claims.iss === login) return Promise.resolve(id);
        } catch {
          // another key
        }
      }
    }
    return Promise.reject(new PermissionDenied('no key verifies'));
  }
  isAllowedOnRoot(userId: string, permission: string): Promise<boolean> {
    const roles = this.roles.get(userId) ?? new Set();
    return Promise.resolve(permission === 'lzy.admin.view' && roles.has('lzy.admin'));
  }
  grantOnRoot(userId: string, role: string): Promise<void> {
    this.roles.set(userId, new Set([...(this.roles.get(userId) ?? []), role]));
    return Promise.resolve();
  }
}

const log = createLogger({ service: 'site-test', level: 'silent' });
let iam: FakeIam;
let sessions: Sessions;
const secret = Buffer.from('0123456789abcdef0123456789abcdef');

beforeEach(() => {
  iam = new FakeIam();
  iam.nowMs = 1_000_000;
  sessions = new Sessions({
    identity: iam,
    codec: new SessionCookieCodec(secret),
    clock: { now: () => iam.nowMs },
    ttlMs: 60_000,
    authCacheMs: 5_000,
    adminLogins: ['root-user'],
    log,
  });
});

describe('Sessions', () => {
  it('signs a user in with a session key in iam that expires with the session', async () => {
    const { cookie, user } = await sessions.signIn('alice');
    expect(user).toMatchObject({ userId: 'id-alice', login: 'alice', isAdmin: false });
    const keys = iam.credentials.get('id-alice') ?? [];
    expect(keys.map((k) => k.name)).toEqual([`site-session-${user.sid}`]);
    expect(keys[0]?.expiresAt?.getTime()).toBe(1_060_000);
    expect(cookie).not.toContain('alice'); // sealed
    expect((await sessions.authenticate(cookie))?.userId).toBe('id-alice');
  });

  it('refuses a tampered, foreign or expired cookie', async () => {
    const { cookie } = await sessions.signIn('alice');
    const flipped = cookie.slice(0, -2) + (cookie.endsWith('A') ? 'B' : 'A') + cookie.slice(-1);
    expect(await sessions.authenticate(flipped)).toBeUndefined();
    const other = new SessionCookieCodec(Buffer.from('another secret of thirty-two bytes!'));
    expect(other.open(cookie)).toBeUndefined();
    expect(await sessions.authenticate('garbage')).toBeUndefined();
    iam.nowMs += 60_000;
    expect(await sessions.authenticate(cookie)).toBeUndefined();
  });

  it('ends a session at sign-out, here at once and elsewhere once iam forgot its key', async () => {
    const { cookie, user } = await sessions.signIn('alice');
    const elsewhere = new Sessions({
      identity: iam,
      codec: new SessionCookieCodec(secret),
      clock: { now: () => iam.nowMs },
      ttlMs: 60_000,
      authCacheMs: 5_000,
      adminLogins: [],
      log,
    });
    expect(await elsewhere.authenticate(cookie)).toBeDefined();
    await sessions.signOut(user);
    expect(await sessions.authenticate(cookie)).toBeUndefined();
    expect(iam.credentials.get('id-alice')).toEqual([]);
    iam.nowMs += 5_001; // the other replica's cache
    expect(await elsewhere.authenticate(cookie)).toBeUndefined();
  });

  it('makes configured logins operators and asks iam, not the cookie, who is one', async () => {
    const { user } = await sessions.signIn('root-user');
    expect(user.isAdmin).toBe(true);
    expect(iam.roles.get('id-root-user')?.has('lzy.admin')).toBe(true);
    const { cookie } = await sessions.signIn('alice');
    iam.roles.set('id-alice', new Set(['lzy.admin']));
    iam.nowMs += 5_001;
    expect((await sessions.authenticate(cookie))?.isAdmin).toBe(true);
  });

  it("removes the user's expired session keys at the next sign-in", async () => {
    await sessions.signIn('alice');
    iam.nowMs += 61_000;
    const { user } = await sessions.signIn('alice');
    const names = (iam.credentials.get('id-alice') ?? []).map((k) => k.name);
    expect(names).toEqual([`site-session-${user.sid}`]);
  });

  it("gives a token that iam authenticates as the user (for the user's own API calls)", async () => {
    const { user } = await sessions.signIn('alice');
    expect(await iam.authenticate(user.token())).toBe('id-alice');
  });
});
