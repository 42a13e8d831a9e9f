import { isDomainError } from '@lzy/errors';
import type { DomainErrorCode } from '@lzy/errors';
import { GrpcCallError } from '@lzy/grpc';

/** A command line the CLI does not understand: the message plus the usage go to stderr, exit 2. */
export class UsageError extends Error {
  /** The usage text of the command concerned (or the top-level one). */
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** A failure the user can fix that is not a gRPC status (unreadable client config, bad key). */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/**
 * The one line printed for a failed command: `NOT_FOUND: Cannot find active execution …` for a
 * gRPC status (domain errors carry the server's message), the message otherwise.
 */
export function describeFailure(err: unknown): string {
  if (isDomainError(err)) return `${err.code}: ${err.message || detailsHint(err.code)}`;
  if (err instanceof GrpcCallError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * IAM answers a token it cannot verify (unknown user or key, bad signature, expired) with
 * PERMISSION_DENIED and an empty description, as LZY did (public-api.md §4.2), so we say what to
 * check instead of printing nothing.
 */
function detailsHint(code: DomainErrorCode): string {
  if (code === 'PERMISSION_DENIED' || code === 'UNAUTHENTICATED') {
    return 'the server gave no reason; if this is the token, check that `user` and `keyPath` of the client config name a user registered with this key';
  }
  return 'the server gave no reason';
}
