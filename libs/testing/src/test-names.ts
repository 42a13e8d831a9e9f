import { randomBytes } from 'node:crypto';

/**
 * A unique resource name derived from a test title or file: lowercase, only [a-z0-9] and
 * `separator`, at most `maxLength` characters including a random 8-hex suffix that keeps
 * concurrent files and reruns apart.
 */
export function uniqueName(title: string, separator: '-' | '_', maxLength: number): string {
  const suffix = randomBytes(4).toString('hex');
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .slice(0, maxLength - suffix.length - 2)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `${slug || 't'}${separator}${suffix}`;
}
