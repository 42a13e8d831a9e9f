import { describe, expect, expectTypeOf, it } from 'vitest';
import { health, iamAuthService } from '@lzy/proto';
import type { iam } from '@lzy/proto';
import type { CallContext, Send } from './handler-types.ts';
import { implement } from './handler-types.ts';

describe('implement', () => {
  it('infers request/response types and the handler kind from a ts-proto definition', () => {
    const registration = implement(health.HealthService, {
      check: (request, ctx) => {
        expectTypeOf(request).toEqualTypeOf<health.HealthCheckRequest>();
        expectTypeOf(ctx).toEqualTypeOf<CallContext>();
        return Promise.resolve({ status: health.HealthCheckResponse_ServingStatus.SERVING });
      },
      watch: async (_request, _ctx, send) => {
        expectTypeOf(send).toEqualTypeOf<Send<health.HealthCheckResponse>>();
        await send({ status: health.HealthCheckResponse_ServingStatus.NOT_SERVING });
      },
    });
    expect(registration.auth).toBe('required');
    expect(Object.keys(registration.handlers)).toEqual(['check', 'watch']);
  });

  it('takes a per-method auth map keyed by method names', () => {
    const registration = implement(
      iamAuthService.LzyAuthenticateServiceService,
      { authenticate: (): Promise<iam.Subject> => Promise.resolve({ id: 'u', type: 'USER' }) },
      { auth: { authenticate: 'none' } },
    );
    expect(registration.auth).toEqual({ authenticate: 'none' });
  });

  it('rejects handlers of the wrong shape at compile time', () => {
    implement(health.HealthService, {
      // @ts-expect-error -- a response missing `status`
      check: () => Promise.resolve({}),
      watch: 'unimplemented',
    });
    implement(health.HealthService, {
      check: 'unimplemented',
      // @ts-expect-error -- a streaming method needs (request, ctx, send)
      watch: (
        request: health.HealthCheckRequest,
        ctx: CallContext,
        send: (n: number) => Promise<void>,
      ) => send(1),
    });
    // @ts-expect-error -- every method must be handled (or marked 'unimplemented')
    implement(health.HealthService, { check: 'unimplemented' });
    expect(true).toBe(true);
  });
});
