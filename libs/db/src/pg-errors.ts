import {
  Aborted,
  AlreadyExists,
  DeadlineExceeded,
  FailedPrecondition,
  InvalidArgument,
  Unavailable,
  isDomainError,
} from '@lzy/errors';

/** The fields of a PostgreSQL error (pg's DatabaseError) that the mapping looks at. */
export interface PgErrorInfo {
  /** SQLSTATE, e.g. `23505`. */
  readonly code: string;
  /** Name of the violated constraint or unique index, when PostgreSQL reports one. */
  readonly constraint?: string | undefined;
}

/** Node socket error codes that mean "the database cannot be reached right now". */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * pg raises these without any code when a connection dies or the pool cannot hand one out in
 * time; both are transient from the caller's point of view.
 */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
];

type ErrorFactory = (info: PgErrorInfo, cause: unknown) => Error;

function unavailable(info: PgErrorInfo, cause: unknown): Error {
  return new Unavailable(`The database is unavailable (${info.code}); retry later`, { cause });
}

/**
 * THE table of PostgreSQL SQLSTATE → domain error (STYLE.md §4). Class prefixes (`08`) are
 * matched after exact codes.
 *
 * 23503 (foreign key) maps to FailedPrecondition, not NotFound: the same code is raised both when
 * the referenced parent is missing (insert) and when a row is still referenced (delete), and only
 * FailedPrecondition is true for both. A store that wants NotFound for a missing parent checks
 * the parent explicitly in its transaction.
 */
const PG_ERRORS: ReadonlyMap<string, ErrorFactory> = new Map<string, ErrorFactory>([
  [
    '23505',
    (i, cause) =>
      new AlreadyExists(
        `A record with the same unique key already exists (${i.constraint ?? 'unique_violation'})`,
        {
          cause,
        },
      ),
  ],
  [
    '23503',
    (i, cause) =>
      new FailedPrecondition(
        `The change refers to a missing record or one still in use (${i.constraint ?? 'foreign_key_violation'})`,
        {
          cause,
        },
      ),
  ],
  [
    '23514',
    (i, cause) =>
      new InvalidArgument(`A value violates the check ${i.constraint ?? '(unnamed)'}`, { cause }),
  ],
  ['23502', (_i, cause) => new InvalidArgument('A required value is missing', { cause })],
  [
    '22P02',
    (_i, cause) => new InvalidArgument('A value has an invalid format for its type', { cause }),
  ],
  ['22001', (_i, cause) => new InvalidArgument('A value is too long', { cause })],
  // NUL in text (22021) or in a jsonb string (22P05): PostgreSQL stores neither.
  [
    '22021',
    (_i, cause) => new InvalidArgument('A value contains a NUL character; remove it', { cause }),
  ],
  [
    '22P05',
    (_i, cause) => new InvalidArgument('A value contains a NUL character; remove it', { cause }),
  ],
  // program_limit_exceeded: e.g. a key over the ~2.7 KB a btree index entry may hold.
  ['54000', (_i, cause) => new InvalidArgument('A value is too large to store', { cause })],
  ['22003', (_i, cause) => new InvalidArgument('A number is out of range', { cause })],
  [
    '40001',
    (_i, cause) =>
      new Aborted('A concurrent change conflicted with this one (serialization failure); retry', {
        cause,
      }),
  ],
  [
    '40P01',
    (_i, cause) =>
      new Aborted('A concurrent change conflicted with this one (deadlock); retry', { cause }),
  ],
  ['55P03', (_i, cause) => new Aborted('A row is locked by a concurrent change; retry', { cause })],
  [
    '57014',
    (_i, cause) =>
      new DeadlineExceeded('The database statement took too long and was cancelled', { cause }),
  ],
  ['57P01', unavailable], // admin_shutdown
  ['57P02', unavailable], // crash_shutdown
  ['57P03', unavailable], // cannot_connect_now (starting up)
  ['53300', unavailable], // too_many_connections
  ['08', unavailable], // connection exception class
]);

/** SQLSTATE and constraint of a pg error, or undefined when `err` did not come from PostgreSQL. */
export function pgErrorInfo(err: unknown): PgErrorInfo | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return { code, constraint: typeof constraint === 'string' ? constraint : undefined };
}

/**
 * The pg error behind a mapped domain error (its `cause`), or of `err` itself. Lets a store
 * branch on the violated constraint: `pgErrorInfo(pgCause(err))?.constraint === 'vm_name_key'`.
 */
export function pgCause(err: unknown): unknown {
  return isDomainError(err) ? err.cause : err;
}

/** True for the two SQLSTATEs a transaction retry can fix (serialization failure, deadlock). */
export function isRetryableConflict(err: unknown): boolean {
  const code = pgErrorInfo(pgCause(err))?.code;
  return code === '40001' || code === '40P01';
}

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const errno = (err as { code?: unknown }).code;
  if (typeof errno === 'string' && CONNECTION_ERRNOS.has(errno)) return true;
  if (err instanceof AggregateError) return err.errors.some(isConnectionError);
  return CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}

/**
 * Maps a pg driver error to a domain error from `@lzy/errors` (table above); the original error
 * is kept as `cause`. Domain errors and errors it does not know are returned unchanged, so the
 * gRPC bootstrap turns the latter into INTERNAL without leaking their text.
 *
 * Callers rarely need it: every query of a `createDatabase` instance is already mapped.
 */
export function mapPgError(err: unknown): unknown {
  if (isDomainError(err)) return err;
  const info = pgErrorInfo(err);
  if (info !== undefined) {
    const factory = PG_ERRORS.get(info.code) ?? PG_ERRORS.get(info.code.slice(0, 2));
    if (factory !== undefined) return factory(info, err);
    return err;
  }
  if (isConnectionError(err)) {
    return new Unavailable('The database is unavailable; retry later', { cause: err });
  }
  return err;
}
