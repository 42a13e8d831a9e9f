import { InvalidArgument } from '@lzy/errors';

/**
 * Refuses a request that carries a NUL character in any string, naming the field
 * (`graph.operations[3].name`). PostgreSQL stores no NUL in text or jsonb (it raised an error
 * that became INTERNAL), and no name, path or command of LZY may contain one. Walks decoded
 * messages (plain objects, arrays, maps); bytes fields are not strings and are skipped.
 * @throws InvalidArgument
 */
export function rejectNulCharacters(request: unknown, path = 'request'): void {
  if (typeof request === 'string') {
    if (request.includes('\u0000')) {
      throw new InvalidArgument(`${path} contains a NUL character (\\0); remove it`);
    }
    return;
  }
  if (request === null || typeof request !== 'object' || ArrayBuffer.isView(request)) return;
  if (Array.isArray(request)) {
    request.forEach((item, i) => rejectNulCharacters(item, `${path}[${i}]`));
    return;
  }
  for (const [key, value] of Object.entries(request)) {
    if (key === '$type') continue;
    // A map field's keys are strings too; a oneof is `{ $case, value }`.
    rejectNulCharacters(key, `${path} key`);
    rejectNulCharacters(value, key === 'value' && '$case' in request ? path : `${path}.${key}`);
  }
}
