import { Metadata } from '@grpc/grpc-js';
import type { CallOptions, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { JWT_SHAPE, decodeLzyJwtUnverified } from '@lzy/auth';
import { Cancelled, DeadlineExceeded, Unavailable } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Authenticator, Clock, Subject } from './authenticator.ts';
import { bearerToken } from './call-auth.ts';
import { unaryCall } from './client-calls.ts';

/**
 * What iam answers: `InternalAuthenticateServiceAuthenticateResponse` (internal) or `Subject`
 * (public, no owner).
 */
interface AuthenticateAnswer {
  id: string;
  type: string;
  ownerUserId?: string;
}

/**
 * The one method this class calls, of `iamVmOwner.InternalAuthenticateServiceClient` (from
 * @lzy/proto), which also answers the owner of a VM caller, or of the public
 * `iamAuthService.LzyAuthenticateServiceClient` (no owners: VMs then pass no owner check).
 */
export interface AuthenticateClient {
  authenticate(
    request: Record<string, never>,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: AuthenticateAnswer) => void,
  ): ClientUnaryCall;
}

export interface IamAuthenticatorDeps {
  /** Made with createChannelClient(iamVmOwner.InternalAuthenticateServiceClient, address). */
  client: AuthenticateClient;
  clock: Clock;
  /** How long a successful answer is reused for the same token. Default 10 s. */
  cacheTtlMs?: number;
  /** Bound on cached tokens; the oldest entry goes first. Default 10 000. */
  maxCacheEntries?: number;
  /** Deadline of the Authenticate call, so a stuck IAM fails calls instead of hanging them. Default 10 s. */
  deadlineMs?: number;
}

interface CacheEntry {
  subject: Subject;
  expiresAtMs: number;
  /** From then on a use also asks IAM again in the background. */
  refreshAtMs: number;
}

/**
 * Authenticates by asking IAM (public-api.md §4.2 step 2): `Authenticate` with an empty request
 * and the caller's own `authorization` header. IAM's answer codes pass through (PERMISSION_DENIED,
 * UNAUTHENTICATED…); IAM unreachable (UNAVAILABLE, CANCELLED, our deadline) becomes UNAVAILABLE,
 * which pylzy retries.
 *
 * Successful answers are cached per token for `cacheTtlMs` (never past the token's own `exp`) so
 * the hot path does not pay an IAM round trip per call (public-api.md §4.2 "LZY-TS choices").
 * One-time tokens are never cached: IAM consumes them on use.
 */
export class IamAuthenticator implements Authenticator {
  readonly #client: AuthenticateClient;
  readonly #clock: Clock;
  readonly #cacheTtlMs: number;
  readonly #maxCacheEntries: number;
  readonly #deadlineMs: number;
  readonly #cache = new Map<string, CacheEntry>();
  /** Authenticate calls in flight per JWT header: concurrent misses share one. */
  readonly #inFlight = new Map<string, Promise<Subject>>();

  constructor(deps: IamAuthenticatorDeps) {
    this.#client = deps.client;
    this.#clock = deps.clock;
    this.#cacheTtlMs = deps.cacheTtlMs ?? 10_000;
    this.#maxCacheEntries = deps.maxCacheEntries ?? 10_000;
    this.#deadlineMs = deps.deadlineMs ?? 10_000;
  }

  /**
   * A cached answer when there is one; past half its life it is still used while one call in
   * the background asks IAM again (a revoked key is refused from then on), so a busy caller
   * never waits for IAM. Concurrent misses of one JWT share one Authenticate call: a burst of
   * calls with a new token (a portal binding 1,000 slots) costs IAM one call, not one each.
   * One-time tokens are never shared or cached: IAM consumes them on use.
   */
  async authenticate(
    authorization: string,
    ctx: { requestId: string; log: Logger },
  ): Promise<Subject> {
    const nowMs = this.#clock.now();
    const cached = this.#cache.get(authorization);
    if (cached !== undefined && cached.expiresAtMs > nowMs) {
      if (nowMs >= cached.refreshAtMs) this.#refresh(authorization, ctx);
      return cached.subject;
    }
    this.#cache.delete(authorization);
    if (!JWT_SHAPE.test(bearerToken(authorization))) return this.#ask(authorization, ctx);
    return this.#shared(authorization, ctx);
  }

  /** One Authenticate for every concurrent caller of this header. */
  #shared(authorization: string, ctx: { requestId: string; log: Logger }): Promise<Subject> {
    let call = this.#inFlight.get(authorization);
    if (call === undefined) {
      call = this.#ask(authorization, ctx).finally(() => this.#inFlight.delete(authorization));
      this.#inFlight.set(authorization, call);
    }
    return call;
  }

  /** Asks IAM again in the background; a refusal drops the cached answer. */
  #refresh(authorization: string, ctx: { requestId: string; log: Logger }): void {
    if (this.#inFlight.has(authorization)) return;
    this.#shared(authorization, ctx).catch((err: unknown) => {
      if (err instanceof Unavailable) return; // IAM busy or down: the answer lives out its TTL
      this.#cache.delete(authorization);
    });
  }

  async #ask(authorization: string, ctx: { requestId: string; log: Logger }): Promise<Subject> {
    const nowMs = this.#clock.now();
    const metadata = new Metadata();
    metadata.set('authorization', authorization);
    let answer: AuthenticateAnswer;
    try {
      answer = await unaryCall(
        this.#client.authenticate.bind(this.#client),
        {},
        {
          metadata,
          requestId: ctx.requestId,
          deadlineMs: this.#deadlineMs,
        },
      );
    } catch (err) {
      if (
        err instanceof Unavailable ||
        err instanceof Cancelled ||
        err instanceof DeadlineExceeded
      ) {
        ctx.log.warn({ code: err.code, reason: err.message }, 'IAM Authenticate failed');
        throw new Unavailable('authentication service is unavailable, retry later', { cause: err });
      }
      throw err;
    }
    const owner = answer.ownerUserId ?? '';
    const subject: Subject = {
      id: answer.id,
      type: answer.type,
      ...(owner === '' ? {} : { ownerUserId: owner }),
    };
    this.#remember(authorization, subject, nowMs);
    return subject;
  }

  #remember(authorization: string, subject: Subject, nowMs: number): void {
    const token = bearerToken(authorization);
    if (!JWT_SHAPE.test(token)) return;
    let exp: number | undefined;
    try {
      exp = decodeLzyJwtUnverified(token).claims.exp;
    } catch {
      return; // IAM accepted what we cannot read: do not guess its lifetime
    }
    let expiresAtMs = nowMs + this.#cacheTtlMs;
    if (exp !== undefined) expiresAtMs = Math.min(expiresAtMs, exp * 1000);
    this.#cache.delete(authorization); // re-inserted last: the oldest entry goes first
    if (this.#cache.size >= this.#maxCacheEntries) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    const refreshAtMs = nowMs + (expiresAtMs - nowMs) / 2;
    this.#cache.set(authorization, { subject, expiresAtMs, refreshAtMs });
  }
}
