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
 * Guard for internal-only RPCs: the caller must be the services' internal identity or a VM/WORKER
 * subject (a worker or portal). End users get PermissionDenied.
 * @throws PermissionDenied
 */
export function requireInternalCaller(ctx: Pick<CallContext, 'subject'>): void {
  const subject = ctx.subject;
  if (subject?.id === INTERNAL_SUBJECT_ID || subject?.type === 'VM' || subject?.type === 'WORKER')
    return;
  throw new PermissionDenied('this API is internal: only LZY services and VMs may call it');
}
