import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import { implement } from '@lzy/grpc';
import type { CallContext, ServiceRegistration } from '@lzy/grpc';
import { iam, iamAccessBindingService } from '@lzy/proto';
import type { AccessControl } from '../domain/access-control.ts';
import { bindingPermission, checkRole, isInternalRole, toResource } from '../domain/roles.ts';
import type { Resource } from '../domain/roles.ts';
import type { AccessBindingStore, Binding, BindingDelta } from '../db/access-binding-store.ts';
import { subjectIdOf } from './proto-mapping.ts';

export interface AccessBindingServiceDeps {
  bindings: AccessBindingStore;
  access: AccessControl;
}

function toBinding(binding: iam.AccessBinding | undefined): Binding {
  if (binding === undefined) throw new InvalidArgument('binding is required');
  return { role: checkRole(binding.role), subjectId: subjectIdOf(binding.subject) };
}

function toDelta(delta: iam.AccessBindingDelta): BindingDelta {
  switch (delta.action) {
    case iam.AccessBindingAction.ADD:
      return { action: 'ADD', binding: toBinding(delta.binding) };
    case iam.AccessBindingAction.REMOVE:
      return { action: 'REMOVE', binding: toBinding(delta.binding) };
    case iam.AccessBindingAction.ACCESS_BINDING_ACTION_UNSPECIFIED:
    case iam.AccessBindingAction.UNRECOGNIZED:
    default: // decoded enums may hold unknown numbers
      throw new InvalidArgument('binding delta action must be ADD or REMOVE');
  }
}

/**
 * `LzyAccessBindingService` (reference-lzy-internals §2.3 with §15 closed): Set REPLACES the
 * resource's bindings, Update applies ADD/REMOVE deltas. Callers: internal ones, or holders of
 * the resource's view (List) / edit (Set, Update) permission, who may not grant or revoke
 * internal roles (their Set leaves internal bindings as they are).
 */
export function accessBindingService(deps: AccessBindingServiceDeps): ServiceRegistration {
  const { bindings, access } = deps;

  /** @returns whether the caller is internal. @throws PermissionDenied */
  async function requireAccess(
    ctx: CallContext,
    resource: Resource,
    mode: 'view' | 'edit',
  ): Promise<boolean> {
    if (await access.isInternal(ctx.subject)) return true;
    const permission = bindingPermission(resource, mode);
    const subjectId = ctx.subject?.id;
    if (subjectId === undefined || !(await access.isAllowed(subjectId, permission, resource))) {
      throw new PermissionDenied(
        `changing or reading access bindings of ${resource.type} ${resource.id} needs ${permission}`,
      );
    }
    return false;
  }

  function forbidInternalRoles(roles: readonly string[]): void {
    const role = roles.find(isInternalRole);
    if (role !== undefined) {
      throw new PermissionDenied(`only LZY services may grant or revoke ${role}`);
    }
  }

  return implement(iamAccessBindingService.LzyAccessBindingServiceService, {
    listAccessBindings: async (request, ctx) => {
      const resource = toResource(request.resource);
      await requireAccess(ctx, resource, 'view');
      const found = await bindings.list(resource);
      return { bindings: found.map((b) => ({ role: b.role, subject: b.subject })) };
    },
    setAccessBindings: async (request, ctx) => {
      const resource = toResource(request.resource);
      const wanted = request.bindings.map(toBinding);
      const isInternal = await requireAccess(ctx, resource, 'edit');
      if (!isInternal) forbidInternalRoles(wanted.map((b) => b.role));
      await bindings.replace(resource, wanted, isInternal ? {} : { keepRole: isInternalRole });
      ctx.log.info({ resource, count: wanted.length }, 'access bindings replaced');
      return {};
    },
    updateAccessBindings: async (request, ctx) => {
      const resource = toResource(request.resource);
      const deltas = request.deltas.map(toDelta);
      const isInternal = await requireAccess(ctx, resource, 'edit');
      if (!isInternal) forbidInternalRoles(deltas.map((d) => d.binding.role));
      await bindings.update(resource, deltas);
      return {};
    },
  });
}
