import { FailedPrecondition } from '@lzy/errors';
import type { S3Key, UserKeyProvider } from '../domain/ports.ts';

/**
 * UserKeyProvider for an S3 server without an IAM (LZY_S3_USER_KEYS=shared-admin-key): every
 * user receives the installation's admin key, so S3 does not keep users apart (issue 13 item 1).
 * Only for single-tenant installations; the service warns at start.
 */
export class SharedAdminKey implements UserKeyProvider {
  readonly sharedKey: S3Key;

  constructor(adminKey: S3Key) {
    this.sharedKey = adminKey;
  }

  createKey(_userId: string): Promise<S3Key> {
    return Promise.resolve({ ...this.sharedKey });
  }

  grantBucket(_bucket: string, _key: S3Key): Promise<void> {
    return Promise.resolve();
  }

  rotateKey(_userId: string, _old: S3Key): Promise<S3Key> {
    return Promise.reject(
      new FailedPrecondition(
        'this installation gives every user its one admin S3 key (LZY_S3_USER_KEYS=shared-admin-key): rotate LZY_S3_SECRET_ACCESS_KEY instead',
      ),
    );
  }

  deleteKey(_key: S3Key): Promise<void> {
    return Promise.resolve();
  }
}
