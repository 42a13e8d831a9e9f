import { NotFound, PermissionDenied } from '@lzy/errors';
import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { iamAccessService } from '@lzy/proto';
import type { AccessControl } from '../domain/access-control.ts';
import { checkPermission, toResource } from '../domain/roles.ts';
import type { SubjectStore } from '../db/subject-store.ts';
import { fromSubject, subjectIdOf } from './proto-mapping.ts';

export interface AccessServiceDeps {
  subjects: SubjectStore;
  access: AccessControl;
}

/**
 * `LzyAccessService.Authorize` (public-api §3.11): the subject (echoed from iam's records) if a
 * role it holds on the resource or on root grants the permission, else PERMISSION_DENIED.
 * Internal-only.
 */
export function accessService(deps: AccessServiceDeps): ServiceRegistration {
  const { subjects, access } = deps;
  return implement(iamAccessService.LzyAccessServiceService, {
    authorize: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const subjectId = subjectIdOf(request.subject);
      const permission = checkPermission(request.permission);
      const resource = toResource(request.resource);
      const subject = await subjects.getSubject(subjectId);
      if (subject === undefined) {
        throw new PermissionDenied(`subject ${subjectId} is unknown`, {
          cause: new NotFound(subjectId),
        });
      }
      if (!(await access.isAllowed(subject.id, permission, resource))) {
        throw new PermissionDenied(
          `subject ${subject.id} has no ${permission} on ${resource.type} ${resource.id}`,
        );
      }
      return fromSubject(subject);
    },
  });
}
