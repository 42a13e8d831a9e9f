import { implement } from '@lzy/grpc';
import type { Clock, ServiceRegistration } from '@lzy/grpc';
import { iamDirectory } from '@lzy/proto';
import type { AccessControl } from '../domain/access-control.ts';
import type { SubjectDirectory } from '../db/subject-directory.ts';

/**
 * lzy.internal.iam.v1.SubjectDirectoryService: the user listing of the site's operators view.
 * Internal-only (`lzy.internal.authorize` on root); the site checks `lzy.admin.view` itself.
 */
export function subjectDirectoryService(deps: {
  directory: SubjectDirectory;
  access: AccessControl;
  clock: Clock;
}): ServiceRegistration {
  return implement(iamDirectory.SubjectDirectoryServiceService, {
    listUsers: async (request, ctx) => {
      await deps.access.requireInternal(ctx.subject);
      const page = await deps.directory.listUsers(
        request.pageSize,
        request.pageToken,
        new Date(deps.clock.now()),
      );
      return { users: page.users, nextPageToken: page.nextPageToken };
    },
  });
}
