import { InvalidArgument, Unauthenticated } from '@lzy/errors';
import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { iamVmOwner } from '@lzy/proto';
import type { AccessControl } from '../domain/access-control.ts';
import type { SubjectStore } from '../db/subject-store.ts';

/**
 * lzy.internal.iam.v1.VmOwnerService: the allocator records which user a VM subject works for.
 * Internal-only (`lzy.internal.authorize` on root).
 */
export function vmOwnerService(deps: {
  subjects: SubjectStore;
  access: AccessControl;
}): ServiceRegistration {
  return implement(iamVmOwner.VmOwnerServiceService, {
    setVmOwner: async (request, ctx) => {
      await deps.access.requireInternal(ctx.subject);
      if (request.subjectId === '') throw new InvalidArgument('subject_id is required');
      if (request.ownerUserId === '') throw new InvalidArgument('owner_user_id is required');
      await deps.subjects.setVmOwner(request.subjectId, request.ownerUserId);
      return {};
    },
  });
}

/**
 * lzy.internal.iam.v1.InternalAuthenticateService.Authenticate: who the call's own
 * `authorization` is (verified by the server bootstrap, as for the public Authenticate), with the
 * owner of a VM subject; '' when there is none.
 */
export function internalAuthenticateService(): ServiceRegistration {
  return implement(iamVmOwner.InternalAuthenticateServiceService, {
    authenticate: (_request, ctx) => {
      const subject = ctx.subject;
      if (subject === undefined) throw new Unauthenticated('Authorization header is missing');
      return Promise.resolve({
        id: subject.id,
        type: subject.type,
        ownerUserId: subject.ownerUserId ?? '',
      });
    },
  });
}
