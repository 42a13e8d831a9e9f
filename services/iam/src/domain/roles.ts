import { InvalidArgument } from '@lzy/errors';

/** Resource types (public-api §3.11); `root` has the one id ROOT_RESOURCE_ID. */
export const RESOURCE_TYPES = ['workflow', 'whiteboard', 'root'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Id of the one `root` resource; a role bound there applies to every resource. */
export const ROOT_RESOURCE_ID = 'lzy.resource.root';

export interface Resource {
  type: ResourceType;
  id: string;
}

export const ROOT_RESOURCE: Resource = { type: 'root', id: ROOT_RESOURCE_ID };

const WORKFLOW = [
  'lzy.workflow.get',
  'lzy.workflow.run',
  'lzy.workflow.stop',
  'lzy.workflow.delete',
];
const WHITEBOARD = [
  'lzy.whiteboard.get',
  'lzy.whiteboard.create',
  'lzy.whiteboard.update',
  'lzy.whiteboard.delete',
];
/** What makes a caller a service (or a service-like principal) rather than an end user. */
export const INTERNAL_AUTHORIZE = 'lzy.internal.authorize';
/**
 * The site's operators view (pools, users, every user's failures), issue 14. Only internal
 * callers can bind `lzy.admin` on root (bindingPermission), so operators are named by the site's
 * configuration or by an operator through the internal identity.
 */
export const ADMIN_VIEW = 'lzy.admin.view';
export const ADMIN_ROLE = 'lzy.admin';

/** Roles → permissions exactly as public-api §3.11 (reference-lzy-internals §2.1). */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  'lzy.workflow.owner': WORKFLOW,
  'lzy.whiteboard.owner': WHITEBOARD,
  'lzy.whiteboard.reader': ['lzy.whiteboard.get'],
  'lzy.internal.user': [...WORKFLOW, ...WHITEBOARD, INTERNAL_AUTHORIZE],
  'lzy.internal.worker': [
    'lzy.workflow.get',
    'lzy.workflow.run',
    'lzy.whiteboard.get',
    'lzy.whiteboard.update',
    INTERNAL_AUTHORIZE,
  ],
  [ADMIN_ROLE]: [ADMIN_VIEW],
};

export const INTERNAL_USER_ROLE = 'lzy.internal.user';

const PERMISSIONS = new Set(Object.values(ROLE_PERMISSIONS).flat());

/** Internal roles may only be granted or revoked by internal callers. */
export function isInternalRole(role: string): boolean {
  return role.startsWith('lzy.internal.');
}

/** True if any of `roles` grants `permission`. */
export function rolesGrant(roles: Iterable<string>, permission: string): boolean {
  for (const role of roles) {
    if (ROLE_PERMISSIONS[role]?.includes(permission) === true) return true;
  }
  return false;
}

/** @throws InvalidArgument naming the known roles */
export function checkRole(role: string): string {
  if (ROLE_PERMISSIONS[role] === undefined) {
    throw new InvalidArgument(
      `unknown role "${role}"; expected one of ${Object.keys(ROLE_PERMISSIONS).join(', ')}`,
    );
  }
  return role;
}

/** @throws InvalidArgument naming the known permissions */
export function checkPermission(permission: string): string {
  if (!PERMISSIONS.has(permission)) {
    throw new InvalidArgument(
      `unknown permission "${permission}"; expected one of ${[...PERMISSIONS].join(', ')}`,
    );
  }
  return permission;
}

/**
 * A proto Resource as a domain one.
 * @throws InvalidArgument if it is absent, of an unknown type, has no id, or is a root with another id
 */
export function toResource(resource: { id: string; type: string } | undefined): Resource {
  if (resource === undefined) throw new InvalidArgument('resource is required');
  const type = RESOURCE_TYPES.find((t) => t === resource.type);
  if (type === undefined) {
    throw new InvalidArgument(
      `unknown resource type "${resource.type}"; expected one of ${RESOURCE_TYPES.join(', ')}`,
    );
  }
  if (resource.id === '') throw new InvalidArgument('resource id is required');
  if (type === 'root' && resource.id !== ROOT_RESOURCE_ID) {
    throw new InvalidArgument(`the root resource has id "${ROOT_RESOURCE_ID}"`);
  }
  return { type, id: resource.id };
}

/**
 * Permission a caller needs on `resource` to read (view) or change (edit) its access bindings
 * (reference-lzy-internals §2.3: workflow.run / whiteboard.update to edit, .get to view).
 */
export function bindingPermission(resource: Resource, mode: 'view' | 'edit'): string {
  switch (resource.type) {
    case 'workflow':
      return mode === 'view' ? 'lzy.workflow.get' : 'lzy.workflow.run';
    case 'whiteboard':
      return mode === 'view' ? 'lzy.whiteboard.get' : 'lzy.whiteboard.update';
    case 'root':
      return INTERNAL_AUTHORIZE;
  }
}
