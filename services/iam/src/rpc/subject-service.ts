import { FailedPrecondition, NotFound } from '@lzy/errors';
import { INTERNAL_SUBJECT_ID, implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { iamSubjectService } from '@lzy/proto';
import type { AccessControl } from '../domain/access-control.ts';
import { checkAuthProvider, checkNewSubject, checkSubjectType } from '../domain/subject.ts';
import type { SubjectStore } from '../db/subject-store.ts';
import {
  authProviderOf,
  fromCredential,
  fromSubject,
  subjectIdOf,
  toCredential,
} from './proto-mapping.ts';

export interface SubjectServiceDeps {
  subjects: SubjectStore;
  access: AccessControl;
}

/**
 * `LzySubjectService` (public-api §3.4, §3.11). Internal-only: every method requires the caller
 * to hold `lzy.internal.authorize` on root. Missing subjects/credentials are NOT_FOUND.
 */
export function subjectService(deps: SubjectServiceDeps): ServiceRegistration {
  const { subjects, access } = deps;
  return implement(iamSubjectService.LzySubjectServiceService, {
    createSubject: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const subject = await subjects.createSubject(
        checkNewSubject({
          type: checkSubjectType(request.type),
          authProvider: authProviderOf(request.authProvider),
          providerSubjectId: request.providerSubjectId,
          credentials: request.credentials.map(toCredential),
        }),
      );
      ctx.log.info({ subjectId: subject.id, type: subject.type }, 'subject created or found');
      return fromSubject(subject);
    },
    removeSubject: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const id = subjectIdOf(request.subject);
      if (id === INTERNAL_SUBJECT_ID) {
        throw new FailedPrecondition('the internal identity cannot be removed');
      }
      if (!(await subjects.removeSubject(id))) throw new NotFound(`subject ${id} does not exist`);
      ctx.log.info({ subjectId: id }, 'subject removed');
      return {};
    },
    getSubject: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const found = await subjects.getSubject(request.id);
      if (found === undefined) throw new NotFound(`subject ${request.id} does not exist`);
      return fromSubject(found);
    },
    addCredentials: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      await subjects.addCredential(subjectIdOf(request.subject), toCredential(request.credentials));
      return {};
    },
    removeCredentials: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const id = subjectIdOf(request.subject);
      if (!(await subjects.removeCredential(id, request.credentialsName))) {
        throw new NotFound(`subject ${id} has no credentials named "${request.credentialsName}"`);
      }
      return {};
    },
    listCredentials: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const id = subjectIdOf(request.subject);
      const found = await subjects.listCredentials(id);
      if (found === undefined) throw new NotFound(`subject ${id} does not exist`);
      return { credentialsList: found.map(fromCredential) };
    },
    findSubject: async (request, ctx) => {
      await access.requireInternal(ctx.subject);
      const provider = checkAuthProvider(request.authProvider);
      const found = await subjects.findSubject(provider, request.providerUserId);
      if (
        found === undefined ||
        (request.subjectType !== '' && found.type !== checkSubjectType(request.subjectType))
      ) {
        throw new NotFound(
          `no ${request.subjectType || 'subject'} "${request.providerUserId}" of provider ${provider}`,
        );
      }
      return { subject: fromSubject(found) };
    },
  });
}
