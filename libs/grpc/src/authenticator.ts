import type { Logger } from '@lzy/logging';

/** IAM's subject types; other strings may come from a newer IAM. */
export type SubjectType = 'USER' | 'WORKER' | 'VM' | 'SERVICE' | (string & {});

/** The authenticated caller (IAM `Subject`). `id` is the IAM subject id, the `userId` elsewhere. */
export interface Subject {
  id: string;
  type: SubjectType;
  /**
   * VM subjects only: the user the VM works for (iam records it when the allocator creates the
   * VM's identity). Undefined for users, the internal identity and a VM of no recorded user.
   */
  ownerUserId?: string;
}

/**
 * Checks the credentials of one call. The bootstrap has already checked that the header is
 * `Bearer <token>` (public-api.md §4.2 step 1) and passes the whole header value.
 * Throws a DomainError for every refusal: PermissionDenied (unknown user, bad signature, expired),
 * Unauthenticated (malformed token), Unavailable (IAM unreachable). Anything else → INTERNAL.
 */
export interface Authenticator {
  authenticate(authorization: string, ctx: { requestId: string; log: Logger }): Promise<Subject>;
}

/** Source of the current time (epoch ms); tests inject a fake. Same shape as other packages' Clock. */
export interface Clock {
  now(): number;
}
