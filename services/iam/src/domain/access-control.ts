import { PermissionDenied } from '@lzy/errors';
import type { Subject } from '@lzy/grpc';
import { INTERNAL_AUTHORIZE, ROOT_RESOURCE, rolesGrant } from './roles.ts';
import type { Resource } from './roles.ts';

/** The part of the binding store access checks read. */
export interface RoleSource {
  /** Roles `subjectId` holds on any of `resources`. */
  rolesOn(subjectId: string, resources: readonly Resource[]): Promise<string[]>;
}

/**
 * Authorization (reference-lzy-internals §2.5, simplified): a subject may do `permission` on a
 * resource iff a role bound to it on that resource or on root grants the permission.
 */
export class AccessControl {
  readonly #roles: RoleSource;

  constructor(deps: { roles: RoleSource }) {
    this.#roles = deps.roles;
  }

  async isAllowed(subjectId: string, permission: string, resource: Resource): Promise<boolean> {
    const resources = resource.type === 'root' ? [ROOT_RESOURCE] : [resource, ROOT_RESOURCE];
    return rolesGrant(await this.#roles.rolesOn(subjectId, resources), permission);
  }

  /** A service (or service-like principal): holds `lzy.internal.authorize` on root. */
  async isInternal(subject: Subject | undefined): Promise<boolean> {
    return subject !== undefined && this.isAllowed(subject.id, INTERNAL_AUTHORIZE, ROOT_RESOURCE);
  }

  /**
   * Guard of iam's internal-only RPCs (all of LzySubjectService and LzyAccessService).
   * @throws PermissionDenied for end users
   */
  async requireInternal(subject: Subject | undefined): Promise<void> {
    if (!(await this.isInternal(subject))) {
      throw new PermissionDenied('this API is internal: only LZY services may call it');
    }
  }
}
