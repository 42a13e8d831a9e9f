import { Unauthenticated } from '@lzy/errors';
import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { iamAuthService } from '@lzy/proto';

/**
 * `LzyAuthenticateService.Authenticate` (public-api §4.2): the credentials are the call's own
 * `authorization` header, which the server bootstrap has already verified with iam's
 * CallAuthenticator; the answer is simply who that is.
 */
export function authService(): ServiceRegistration {
  return implement(iamAuthService.LzyAuthenticateServiceService, {
    authenticate: (_request, ctx) => {
      const subject = ctx.subject;
      if (subject === undefined) throw new Unauthenticated('Authorization header is missing');
      return Promise.resolve({ id: subject.id, type: subject.type });
    },
  });
}
