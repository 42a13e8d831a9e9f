import {
  Aborted,
  AlreadyExists,
  DeadlineExceeded,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  Unavailable,
} from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { isRetryableConflict, mapPgError } from './pg-errors.ts';

/** The shape pg's DatabaseError has: an Error with SQLSTATE `code` and maybe `constraint`. */
function pgError(code: string, constraint?: string): Error {
  return Object.assign(new Error(`pg ${code}`), { code, constraint });
}

describe('mapPgError', () => {
  it.each([
    ['23505', AlreadyExists],
    ['23503', FailedPrecondition],
    ['23514', InvalidArgument],
    ['22P02', InvalidArgument],
    ['22021', InvalidArgument],
    ['22P05', InvalidArgument],
    ['54000', InvalidArgument],
    ['40001', Aborted],
    ['40P01', Aborted],
    ['57014', DeadlineExceeded],
    ['57P01', Unavailable],
    ['08006', Unavailable],
    ['53300', Unavailable],
  ])('maps SQLSTATE %s to its domain error, keeping the pg error as cause', (code, type) => {
    const original = pgError(code, 'some_constraint');
    const mapped = mapPgError(original);
    expect(mapped).toBeInstanceOf(type);
    expect((mapped as Error).cause).toBe(original);
  });

  it('maps socket failures and pool timeouts to Unavailable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(mapPgError(refused)).toBeInstanceOf(Unavailable);
    expect(mapPgError(new AggregateError([refused], ''))).toBeInstanceOf(Unavailable);
    expect(mapPgError(new Error('Connection terminated unexpectedly'))).toBeInstanceOf(Unavailable);
    expect(mapPgError(new Error('timeout exceeded when trying to connect'))).toBeInstanceOf(
      Unavailable,
    );
  });

  it('returns domain errors and unknown errors unchanged', () => {
    const domain = new NotFound('x');
    const unknownPg = pgError('XX000');
    const bug = new TypeError('undefined is not a function');
    expect(mapPgError(domain)).toBe(domain);
    expect(mapPgError(unknownPg)).toBe(unknownPg);
    expect(mapPgError(bug)).toBe(bug);
  });

  it('names the violated constraint in AlreadyExists', () => {
    expect((mapPgError(pgError('23505', 'vm_name_key')) as Error).message).toContain('vm_name_key');
  });

  it('recognises retryable conflicts before and after mapping', () => {
    expect(isRetryableConflict(pgError('40001'))).toBe(true);
    expect(isRetryableConflict(mapPgError(pgError('40P01')))).toBe(true);
    expect(isRetryableConflict(mapPgError(pgError('23505')))).toBe(false);
  });
});
