import { InvalidArgument, NotFound, Unavailable, isDomainError } from '@lzy/errors';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * Maps an S3 SDK error to the domain error the BlobStore contract promises. `what` names the
 * object in the message. A missing bucket, bad credentials and other misconfigurations stay as
 * they are: they are operator problems (INTERNAL on the wire), not the caller's.
 */
export function fromS3Error(err: unknown, what: string): unknown {
  if (isDomainError(err) || typeof err !== 'object' || err === null) return err;
  const name = 'name' in err ? String(err.name) : '';
  const code = 'code' in err ? String(err.code) : '';
  const status = httpStatusOf(err);
  if (name === 'NoSuchBucket') return err;
  if (name === 'NoSuchKey' || status === 404) {
    return new NotFound(`${what} does not exist`, { cause: err });
  }
  if (name === 'InvalidRange' || status === 416) {
    return new InvalidArgument(`${what}: the range starts past the end of the object`, {
      cause: err,
    });
  }
  if (name === 'InvalidArgument') {
    return new InvalidArgument(`${what}: ${messageOf(err)}`, { cause: err });
  }
  if (
    (status !== undefined && status >= 500) ||
    NETWORK_CODES.has(code) ||
    name === 'TimeoutError'
  ) {
    return new Unavailable(`S3 is unavailable (${name || code}); retry later`, { cause: err });
  }
  return err;
}

function httpStatusOf(err: object): number | undefined {
  if (!('$metadata' in err) || typeof err.$metadata !== 'object' || err.$metadata === null) {
    return undefined;
  }
  const meta = err.$metadata;
  return 'httpStatusCode' in meta && typeof meta.httpStatusCode === 'number'
    ? meta.httpStatusCode
    : undefined;
}

function messageOf(err: object): string {
  return 'message' in err ? String(err.message) : 'rejected by S3';
}
