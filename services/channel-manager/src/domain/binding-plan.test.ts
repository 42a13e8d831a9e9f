import { AlreadyExists, NotFound, PermissionDenied } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { planBindings } from './binding-plan.ts';
import type { EndpointOfUser } from './binding-plan.ts';
import type { BoundEndpoint, SlotDirection, SlotOwner } from './channel-rules.ts';

function endpoint(
  channelId: string,
  slotUri: string,
  direction: SlotDirection,
  owner: SlotOwner,
): BoundEndpoint {
  return { slotUri, channelId, taskId: 't', direction, owner, slot: {} as never };
}

const of = (userId: string, e: BoundEndpoint): EndpointOfUser => ({ ...e, userId });
const users = new Map([
  ['a1', 'alice'],
  ['a2', 'alice'],
  ['b1', 'bob'],
]);
/** The authorization of a VM of `owner`: a record of what it was asked, refusing others. */
function vmOf(owner: string) {
  const asked: string[] = [];
  const authorize = (userId: string, what: string) => {
    asked.push(`${what}:${userId}`);
    if (userId !== owner) throw new PermissionDenied(`${what} is not ${owner}'s`);
  };
  return { asked, authorize };
}

describe('planBindings', () => {
  it('inserts new slots once each and notifies each changed channel once', () => {
    const plan = planBindings(
      { channelUsers: users, endpoints: [] },
      {
        unbinds: [],
        binds: [
          endpoint('a1', 'u1', 'INPUT', 'PORTAL'),
          endpoint('a1', 'u2', 'INPUT', 'WORKER'),
          endpoint('a2', 'u3', 'OUTPUT', 'PORTAL'),
          endpoint('a1', 'u2', 'INPUT', 'WORKER'),
        ],
      },
      undefined,
    );
    expect(plan.inserts.map((e) => e.slotUri)).toEqual(['u1', 'u2', 'u3']);
    expect(plan.deletes).toEqual([]);
    expect(plan.changedChannelIds).toEqual(['a1', 'a2']);
  });

  it('leaves a slot unbound and bound again the same way untouched', () => {
    const bound = endpoint('a1', 'p', 'OUTPUT', 'PORTAL');
    const plan = planBindings(
      { channelUsers: users, endpoints: [of('alice', bound)] },
      { unbinds: ['p'], binds: [bound] },
      undefined,
    );
    expect(plan).toEqual({ deletes: [], inserts: [], changedChannelIds: [] });
  });

  it('replaces a receiver by a sender of the same URI: delete, then insert', () => {
    const receiver = endpoint('a1', 'p', 'INPUT', 'PORTAL');
    const sender = endpoint('a1', 'p', 'OUTPUT', 'PORTAL');
    const plan = planBindings(
      { channelUsers: users, endpoints: [of('alice', receiver)] },
      { unbinds: ['p'], binds: [sender] },
      undefined,
    );
    expect(plan).toEqual({
      deletes: [{ slotUri: 'p', channelId: 'a1' }],
      inserts: [sender],
      changedChannelIds: ['a1'],
    });
  });

  it('asks a VM for every channel bound into and every bound slot it touches', () => {
    const vm = vmOf('alice');
    planBindings(
      { channelUsers: users, endpoints: [of('alice', endpoint('a2', 'old', 'INPUT', 'WORKER'))] },
      { unbinds: ['old', 'never-bound'], binds: [endpoint('a1', 'new', 'INPUT', 'WORKER')] },
      vm.authorize,
    );
    expect(vm.asked).toEqual(['slot old:alice', 'channel a1:alice']);
  });

  it("refuses a VM a slot bound in another user's channel before saying it is bound there", () => {
    const vm = vmOf('bob');
    const alices = of('alice', endpoint('a1', 'x', 'OUTPUT', 'WORKER'));
    const move = () =>
      planBindings(
        { channelUsers: users, endpoints: [alices] },
        { unbinds: [], binds: [endpoint('b1', 'x', 'OUTPUT', 'WORKER')] },
        vm.authorize,
      );
    expect(move).toThrow(PermissionDenied);
    expect(() =>
      planBindings(
        { channelUsers: users, endpoints: [alices] },
        { unbinds: [], binds: [endpoint('b1', 'x', 'OUTPUT', 'WORKER')] },
        undefined,
      ),
    ).toThrow(AlreadyExists);
  });

  it('refuses a bind into an unknown channel', () => {
    expect(() =>
      planBindings(
        { channelUsers: users, endpoints: [] },
        { unbinds: [], binds: [endpoint('gone', 'x', 'INPUT', 'WORKER')] },
        undefined,
      ),
    ).toThrow(new NotFound('channel gone does not exist'));
  });
});
