import { randomBytes } from 'node:crypto';

/**
 * A fresh one-key ring in the LZY_ENCRYPTION_KEYS format (`<id>:<base64 of 32 bytes>`) for a
 * service under test; tests that restart a service pass the same value again.
 */
export function testEncryptionKeys(id = 'test'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
