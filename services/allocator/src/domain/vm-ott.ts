import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PermissionDenied } from '@lzy/errors';

/** A fresh one-time register token (256 random bits). Only its hash is stored. */
export function newOtt(): string {
  return randomBytes(32).toString('base64url');
}

export function ottSha256(ott: string): string {
  return createHash('sha256').update(ott).digest('hex');
}

/**
 * Checks that `ott` is the token issued for `vmId` (reference §15: Register did not check that
 * the token belongs to the VM it names). Constant-time comparison of the hashes.
 * @throws PermissionDenied
 */
export function checkOtt(vmId: string, ott: string, storedSha256: string): void {
  const given = Buffer.from(ottSha256(ott), 'hex');
  const stored = Buffer.from(storedSha256, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) {
    throw new PermissionDenied(`The token is not the one issued for VM ${vmId}`);
  }
}
