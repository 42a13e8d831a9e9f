import { describe, expect, it } from 'vitest';
import { InvalidArgument } from '@lzy/errors';
import { bindingPermission, checkPermission, checkRole, rolesGrant, toResource } from './roles.ts';

describe('roles', () => {
  it.each([
    ['lzy.workflow.owner', 'lzy.workflow.delete', true],
    ['lzy.workflow.owner', 'lzy.whiteboard.get', false],
    ['lzy.whiteboard.reader', 'lzy.whiteboard.get', true],
    ['lzy.whiteboard.reader', 'lzy.whiteboard.update', false],
    ['lzy.internal.user', 'lzy.internal.authorize', true],
    ['lzy.internal.user', 'lzy.workflow.stop', true],
    ['lzy.internal.worker', 'lzy.workflow.run', true],
    ['lzy.internal.worker', 'lzy.workflow.delete', false],
    ['lzy.whiteboard.owner', 'lzy.internal.authorize', false],
    ['lzy.admin', 'lzy.admin.view', true],
    ['lzy.admin', 'lzy.workflow.get', false],
    ['lzy.internal.user', 'lzy.admin.view', false],
  ])('%s grants %s: %s', (role, permission, expected) => {
    expect(rolesGrant([role], permission)).toBe(expected);
  });

  it('rejects unknown roles and permissions naming the known ones', () => {
    expect(() => checkRole('admin')).toThrow(/lzy\.workflow\.owner/);
    expect(() => checkPermission('lzy.workflow.fly')).toThrow(InvalidArgument);
  });

  it('accepts the root resource only under its one id', () => {
    expect(toResource({ type: 'root', id: 'lzy.resource.root' })).toEqual({
      type: 'root',
      id: 'lzy.resource.root',
    });
    expect(() => toResource({ type: 'root', id: 'x' })).toThrow(InvalidArgument);
    expect(() => toResource({ type: 'bucket', id: 'x' })).toThrow(/workflow, whiteboard, root/);
    expect(() => toResource(undefined)).toThrow(InvalidArgument);
  });

  it("asks run to edit a workflow's bindings and get to view them", () => {
    const wf = { type: 'workflow' as const, id: 'u/wf' };
    expect(bindingPermission(wf, 'edit')).toBe('lzy.workflow.run');
    expect(bindingPermission(wf, 'view')).toBe('lzy.workflow.get');
  });
});
