import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { NotFound, PermissionDenied } from '@lzy/errors';
import { GrpcCallError } from '@lzy/grpc';
import { CliError, describeFailure } from './cli-error.ts';

describe('describeFailure', () => {
  it('prefixes a gRPC status error with its code', () => {
    expect(describeFailure(new NotFound("Cannot find active execution 'e1'"))).toBe(
      "NOT_FOUND: Cannot find active execution 'e1'",
    );
    expect(describeFailure(new GrpcCallError(status.INTERNAL, 'boom', new Metadata()))).toBe(
      'INTERNAL: boom',
    );
  });

  it('says what to check when the server gives an auth error without a reason', () => {
    expect(describeFailure(new PermissionDenied(''))).toMatch(
      /^PERMISSION_DENIED: the server gave no reason; if this is the token, check that `user` and `keyPath`/,
    );
    expect(describeFailure(new NotFound(''))).toBe('NOT_FOUND: the server gave no reason');
  });

  it('keeps the message of other errors', () => {
    expect(describeFailure(new CliError('no client config at /x'))).toBe('no client config at /x');
    expect(describeFailure('odd')).toBe('odd');
  });
});
