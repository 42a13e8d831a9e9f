import { createHash } from 'node:crypto';

/**
 * Hash stored next to an idempotency key: hex SHA-256 of the serialized request message (Java
 * used MD5; only equality matters, and the hash never leaves the service). Serialize with the
 * generated `encode(...).finish()`; ts-proto writes fields in field-number order, so equal
 * requests give equal bytes.
 */
export function requestHash(requestBytes: Uint8Array): string {
  return createHash('sha256').update(requestBytes).digest('hex');
}
