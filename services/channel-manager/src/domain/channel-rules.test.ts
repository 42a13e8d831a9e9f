import { AlreadyExists, FailedPrecondition, InvalidArgument } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { channelIdFor, checkBind, preferredSender } from './channel-rules.ts';
import type { BoundEndpoint, SlotDirection, SlotOwner } from './channel-rules.ts';

function endpoint(slotUri: string, direction: SlotDirection, owner: SlotOwner): BoundEndpoint {
  return { slotUri, channelId: 'ch', taskId: 't', direction, owner, slot: {} as never };
}

describe('channelIdFor', () => {
  it('prefixes a plain name with the execution id', () => {
    expect(channelIdFor('exec-1', 'abc')).toBe('exec-1/abc');
  });
  it('keeps a name that already is an id of this execution', () => {
    expect(channelIdFor('exec-1', 'exec-1/abc')).toBe('exec-1/abc');
  });
  it('rejects an empty name', () => {
    expect(() => channelIdFor('exec-1', '')).toThrow(InvalidArgument);
  });
});

describe('checkBind', () => {
  const workerSender = endpoint('slot://w1/t/out', 'OUTPUT', 'WORKER');
  const portalSender = endpoint('slot://p/portal/x', 'OUTPUT', 'PORTAL');

  it('accepts the same slot bound again the same way', () => {
    expect(checkBind([workerSender], workerSender)).toBe('bound');
  });
  it('rejects the same slot URI with another direction', () => {
    expect(() => checkBind([workerSender], { ...workerSender, direction: 'INPUT' })).toThrow(
      AlreadyExists,
    );
  });
  it('rejects a second worker sender', () => {
    expect(() =>
      checkBind([workerSender], endpoint('slot://w2/t/out', 'OUTPUT', 'WORKER')),
    ).toThrow(FailedPrecondition);
  });
  it('rejects a second portal endpoint', () => {
    expect(() =>
      checkBind([portalSender], endpoint('slot://p/portal/y', 'INPUT', 'PORTAL')),
    ).toThrow(FailedPrecondition);
  });
  it('accepts any number of worker receivers next to both senders', () => {
    const receivers = [endpoint('slot://a/t/in', 'INPUT', 'WORKER')];
    expect(
      checkBind(
        [workerSender, portalSender, ...receivers],
        endpoint('slot://b/t/in', 'INPUT', 'WORKER'),
      ),
    ).toBe('new');
  });
});

describe('preferredSender', () => {
  const workerSender = endpoint('slot://w1/t/out', 'OUTPUT', 'WORKER');
  const portalSender = endpoint('slot://p/portal/x', 'OUTPUT', 'PORTAL');
  const receiver = endpoint('slot://w2/t/in', 'INPUT', 'WORKER');

  it('prefers the worker sender over the portal sender', () => {
    expect(preferredSender([portalSender, workerSender, receiver], receiver)).toBe(workerSender);
  });
  it('falls back to the portal sender', () => {
    expect(preferredSender([portalSender, receiver], receiver)).toBe(portalSender);
  });
  it('gives a portal receiver only the worker sender', () => {
    const portalReceiver = endpoint('slot://p/portal/in', 'INPUT', 'PORTAL');
    expect(preferredSender([portalReceiver], portalReceiver)).toBeUndefined();
  });
  it('is undefined with no sender', () => {
    expect(preferredSender([receiver], receiver)).toBeUndefined();
  });
});
