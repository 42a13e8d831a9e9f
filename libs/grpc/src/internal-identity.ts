import { PermissionDenied } from '@lzy/errors';
import { signLzyJwt } from '@lzy/auth';
import type { AuthProvider } from '@lzy/auth';
import type { Clock } from './authenticator.ts';
import type { CallContext } from './handler-types.ts';

/** IAM subject id of the services' shared internal identity (reference-lzy-internals §2.6). */
export const INTERNAL_SUBJECT_ID = 'lzy-internal';

export interface InternalCallCredentialsOptions {
  /** PEM private key of the identity (`LZY_INTERNAL_PRIVATE_KEY`, or a VM's `LZY_VM_PRIVATE_KEY`). */
  privateKeyPem: string;
  /** JWT `iss`: `lzy-internal` for services, `vm-<vmId>` for a VM. */
  issuer?: string;
  provider?: AuthProvider;
  clock: Clock;
  /** Token lifetime; a new token is signed when less than a quarter of it is left. Default 1 h. */
  ttlMs?: number;
}

/**
 * Bearer tokens for service-to-service calls, for `createChannelClient({ callCredentials })`:
 * PS256 JWTs as pylzy makes them (iss, pvd=INTERNAL), cached and re-signed before expiry so a
 * call costs no signature on the hot path.
 */
export function internalCallCredentials(
  options: InternalCallCredentialsOptions,
): () => Promise<string> {
  const ttlMs = options.ttlMs ?? 3_600_000;
  let token = '';
  let renewAtMs = 0;
  return () => {
    const nowMs = options.clock.now();
    if (nowMs >= renewAtMs) {
      token = signLzyJwt({
        issuer: options.issuer ?? INTERNAL_SUBJECT_ID,
        provider: options.provider ?? 'INTERNAL',
        privateKeyPem: options.privateKeyPem,
        nowMs,
        ttlMs,
      });
      renewAtMs = nowMs + (ttlMs * 3) / 4;
    }
    return Promise.resolve(token);
  };
}

/**
 * Guard for RPCs only the services themselves call (the authorization table in ARCHITECTURE.md,
 * "Threat model"): the caller must be the services' internal identity. A VM (worker or portal)
 * holds its own key where a user's op can read it, so VMs are refused like end users.
 * @throws PermissionDenied
 */
export function requireServiceCaller(ctx: Pick<CallContext, 'subject'>): void {
  const subject = ctx.subject;
  if (subject?.id === INTERNAL_SUBJECT_ID) return;
  if (isVmSubject(subject))
    throw new PermissionDenied(
      'this API is for LZY services only: VMs (workers, portals) may not call it',
    );
  throw new PermissionDenied('this API is internal: only LZY services may call it');
}

/** Who called an RPC that both the services and VMs may call. */
export type ServiceOrVmCaller =
  | { readonly kind: 'service' }
  | { readonly kind: 'vm'; readonly subjectId: string; readonly ownerUserId: string | undefined };

/**
 * Guard for RPCs that VMs call too (slots, channel binds, std streams): the services' internal
 * identity or a VM/WORKER subject; end users get PermissionDenied. What a VM may touch is the
 * handler's business (see `requireServiceOrVmOf`).
 * @throws PermissionDenied
 */
export function requireServiceOrVmCaller(ctx: Pick<CallContext, 'subject'>): ServiceOrVmCaller {
  const subject = ctx.subject;
  if (subject?.id === INTERNAL_SUBJECT_ID) return { kind: 'service' };
  if (subject !== undefined && isVmSubject(subject))
    return { kind: 'vm', subjectId: subject.id, ownerUserId: subject.ownerUserId };
  throw new PermissionDenied('this API is internal: only LZY services and VMs may call it');
}

/**
 * Guard for RPCs on one user's resources that VMs call too: the services' internal identity, or a
 * VM working for `userId` (its subject's `ownerUserId`). A VM of another user, a VM of no recorded
 * user and a resource of no known user (`userId` undefined or '') are refused: a user's op can
 * read its VM's key, and must not reach another user's data with it.
 * @param what names the resource for the message, e.g. `channel c1`
 * @throws PermissionDenied
 */
export function requireServiceOrVmOf(
  ctx: Pick<CallContext, 'subject'>,
  userId: string | undefined,
  what: string,
): void {
  const caller = requireServiceOrVmCaller(ctx);
  if (caller.kind === 'service') return;
  if (caller.ownerUserId === undefined || caller.ownerUserId === '')
    throw new PermissionDenied(
      `VM ${caller.subjectId} works for no recorded user, so it may not use ${what}`,
    );
  if (userId === undefined || userId === '' || userId !== caller.ownerUserId)
    throw new PermissionDenied(
      `${what} is not of the user VM ${caller.subjectId} works for; a VM may only use its own user's`,
    );
}

function isVmSubject(subject: CallContext['subject']): boolean {
  return subject?.type === 'VM' || subject?.type === 'WORKER';
}
