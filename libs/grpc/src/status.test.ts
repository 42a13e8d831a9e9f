import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import * as errors from '@lzy/errors';
import type { DomainError } from '@lzy/errors';
import { GrpcCallError, fromGrpcError, toGrpcStatus } from './status.ts';

const DOMAIN_ERRORS: Array<new (message: string) => DomainError> = [
  errors.InvalidArgument,
  errors.NotFound,
  errors.AlreadyExists,
  errors.PermissionDenied,
  errors.Unauthenticated,
  errors.FailedPrecondition,
  errors.ResourceExhausted,
  errors.Aborted,
  errors.Unavailable,
  errors.DeadlineExceeded,
  errors.Cancelled,
];

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

describe('toGrpcStatus', () => {
  it.each(DOMAIN_ERRORS.map((cls) => [cls.name, cls] as const))(
    'maps %s to the status of the same name with its message',
    (_, cls) => {
      const err = new cls('what to fix');
      expect(toGrpcStatus(err, 'rid')).toEqual({ code: status[err.code], details: 'what to fix' });
    },
  );

  it('hides anything else behind INTERNAL with the request id', () => {
    expect(toGrpcStatus(new TypeError('x is undefined'), 'rid-1')).toEqual({
      code: status.INTERNAL,
      details: 'internal error (request rid-1)',
    });
    expect(toGrpcStatus('a string', 'rid-2').details).toBe('internal error (request rid-2)');
  });
});

describe('fromGrpcError', () => {
  it.each(DOMAIN_ERRORS.map((cls) => [cls.name, cls] as const))('round-trips %s', (_, cls) => {
    const original = new cls('downstream says so');
    const { code, details } = toGrpcStatus(original, 'rid');
    const converted = fromGrpcError(serviceError(code, details));
    expect(converted).toBeInstanceOf(cls);
    expect(converted.message).toBe('downstream says so');
  });

  it.each([status.INTERNAL, status.UNKNOWN, status.UNIMPLEMENTED, status.DATA_LOSS])(
    'keeps status %i as a non-domain GrpcCallError',
    (code) => {
      const converted = fromGrpcError(serviceError(code, 'x'));
      expect(converted).toBeInstanceOf(GrpcCallError);
      expect(errors.isDomainError(converted)).toBe(false);
    },
  );
});
