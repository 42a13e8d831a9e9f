import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import type { Credential } from './ports.ts';

/** iam's operators role and the permission the site checks (services/iam roles.ts). */
export const ADMIN_ROLE = 'lzy.admin';
export const ADMIN_VIEW = 'lzy.admin.view';

/** Names of the iam credentials that hold session keys; not the user's keys, never listed as such. */
export const SESSION_KEY_PREFIX = 'site-session-';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Whose executions a request may see: the signed-in user's own, or (operators asking for
 * everyone's) all of them.
 * @throws PermissionDenied when a user without the admin role asks for everyone's
 */
export function executionScope(
  user: { userId: string; isAdmin: boolean },
  everyone: boolean,
): string | undefined {
  if (!everyone) return user.userId;
  requireAdmin(user);
  return undefined;
}

/** @throws PermissionDenied unless the user holds lzy.admin.view on root */
export function requireAdmin(user: { isAdmin: boolean }): void {
  if (!user.isAdmin) {
    throw new PermissionDenied('the operators view needs the lzy.admin role in iam');
  }
}

/** The user's own public keys: session keys are the site's, not shown or removable as keys. */
export function visibleKeys(credentials: readonly Credential[]): Credential[] {
  return credentials.filter(
    (c) => c.type === 'PUBLIC_KEY' && !c.name.startsWith(SESSION_KEY_PREFIX),
  );
}

/**
 * A key name the user may add or remove.
 * @throws InvalidArgument naming the rule it breaks
 */
export function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) {
    throw new InvalidArgument(
      'a key name is 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
    );
  }
  if (name.startsWith(SESSION_KEY_PREFIX)) {
    throw new InvalidArgument(`key names starting with "${SESSION_KEY_PREFIX}" are reserved`);
  }
  return name;
}
